using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using Shoal.Code;
using Shoal.Protocol;
using Shoal.Serialization;
using Shoal.Tests.Serialization;

namespace Shoal.Tests.Code;

public static class CrossContextFunctions
{
    public static int Square(int x) => x * x;
}

public record CrossContextPoint(int X, int Y);

public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "shoal-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public class CodeSetTests
{
    [Fact]
    public void Code_set_holds_the_program_and_its_references_but_nothing_shared()
    {
        var set = CodeSet.For(static (int x) => CrossContextFunctions.Square(x));
        var names = set.Assemblies.Select(a => a.Name).ToList();

        names.ShouldContain("Shoal.Tests");
        names.ShouldContain("Shouldly");
        names.ShouldNotContain("Shoal");
        names.ShouldNotContain("Google.Protobuf");
        names.ShouldNotContain("System.Runtime");
        names.ShouldNotContain("System.Private.CoreLib");
        var frameworkRoot = Path.GetDirectoryName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(
            System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory())))!;
        set.Assemblies.ShouldNotContain(a => a.Path.StartsWith(frameworkRoot, StringComparison.Ordinal));
        // Dependencies come first; the program itself last.
        names[^1].ShouldBe("Shoal.Tests");
        set.Hashes.Count.ShouldBe(names.Count);
    }

    [Fact]
    public void Entries_carry_content_hash_and_mvid()
    {
        var assembly = typeof(CodeSetTests).Assembly;
        var entry = CodeAssembly.Of(assembly);
        entry.Hash.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(assembly.Location))));
        entry.Mvid.ShouldBe(assembly.ManifestModule.ModuleVersionId);
        entry.Path.ShouldBe(assembly.Location);
        CodeAssembly.Of(assembly).ShouldBeSameAs(entry);
        CodeHash.ToHex(entry.HashBytes()).ShouldBe(entry.Hash);
    }

    [Fact]
    public void Framework_only_delegate_needs_no_code()
    {
        CodeSet.ForType(typeof(List<int>)).IsEmpty.ShouldBeTrue();
        CodeSet.ForType(typeof(TaskRunSpec)).IsEmpty.ShouldBeTrue();
        CodeSet.ForType(typeof(List<CrossContextPoint>)).Assemblies.ShouldContain(a => a.Name == "Shoal.Tests");
    }

    [Fact]
    public void Task_code_includes_argument_types()
    {
        var spec = TaskRunSpec.Create(static (object p) => p.ToString(), [new CrossContextPoint(1, 2)]);
        spec.Code.Assemblies.ShouldContain(a => a.Name == "Shoal.Tests");
        CodeSet.IdOf(spec.Code.Hashes.Reverse()).ShouldBe(spec.Code.Id);
    }
}

public class CodeStoreTests
{
    [Fact]
    public void Store_is_content_addressed_and_verifies_hashes()
    {
        using var dir = new TempDirectory();
        var store = new CodeStore(dir.Path);
        var bytes = "not really an assembly"u8.ToArray();
        var hash = CodeHash.Of(bytes);

        store.Has(hash).ShouldBeFalse();
        store.Missing([hash]).ShouldBe([hash]);
        store.Put(hash, bytes);
        store.Put(hash, bytes); // idempotent
        store.Has(hash).ShouldBeTrue();
        File.ReadAllBytes(store.GetPath(hash)).ShouldBe(bytes);
        store.Missing([hash]).ShouldBeEmpty();

        Should.Throw<InvalidDataException>(() => store.Put(CodeHash.Of("other"u8), bytes)).Message.ShouldContain("does not match");
        Should.Throw<FileNotFoundException>(() => store.GetPath(CodeHash.Of("absent"u8)));
        Should.Throw<ArgumentException>(() => store.Has("../../etc/passwd"));
        Directory.GetFiles(dir.Path).Length.ShouldBe(1);
    }
}

public class CodeLoadContextTests
{
    private static (CodeStore Store, string TestsHash, string ShouldlyHash) StoreWithTestAssembly(TempDirectory dir)
    {
        var store = new CodeStore(dir.Path);
        var tests = store.Put(File.ReadAllBytes(typeof(CodeLoadContextTests).Assembly.Location));
        var shouldly = store.Put(File.ReadAllBytes(typeof(ShouldBeTestExtensions).Assembly.Location));
        return (store, tests, shouldly);
    }

    private static Segment[] Wire(IReadOnlyList<Segment> segments) => segments.Select(s => new Segment(s.Bytes.ToArray())).ToArray();

    [Fact]
    public async Task Static_lambda_resolves_and_runs_in_a_fresh_collectible_context()
    {
        using var dir = new TempDirectory();
        var (store, testsHash, _) = StoreWithTestAssembly(dir);
        using var contexts = new CodeLoadContexts(store);
        var context = contexts.GetOrCreate([testsHash]);
        context.LoadContext.IsCollectible.ShouldBeTrue();

        var spec = TaskRunSpec.Create(static (int x) => CrossContextFunctions.Square(x) + 1, [6]);
        var remote = TaskRunSpec.Deserialize(Wire(spec.Serialize()), context);

        var method = remote.Function.Method;
        method.DeclaringType!.Assembly.ShouldNotBeSameAs(typeof(CodeLoadContextTests).Assembly);
        AssemblyLoadContext.GetLoadContext(method.DeclaringType.Assembly).ShouldBeSameAs(context.LoadContext);
        (await remote.InvokeAsync(_ => null)).ShouldBe(37);
    }

    [Fact]
    public void Values_of_user_types_load_from_the_context_while_shared_types_unify()
    {
        using var dir = new TempDirectory();
        var (store, testsHash, _) = StoreWithTestAssembly(dir);
        using var contexts = new CodeLoadContexts(store);
        var context = contexts.GetOrCreate([testsHash]);

        var value = ValueSerializer.Default.Deserialize(ValueSerializer.Default.Serialize(new List<CrossContextPoint> { new(1, 2) }).Segments, context.Resolver)!;

        var point = ((System.Collections.IList)value)[0]!;
        point.GetType().FullName.ShouldBe(typeof(CrossContextPoint).FullName);
        point.GetType().ShouldNotBe(typeof(CrossContextPoint));
        AssemblyLoadContext.GetLoadContext(point.GetType().Assembly).ShouldBeSameAs(context.LoadContext);
        point.GetType().GetProperty("Y")!.GetValue(point).ShouldBe(2);
        context.Resolver.ResolveType("Shoal", typeof(TaskRunSpec).FullName!).ShouldBe(typeof(TaskRunSpec));
        context.Resolver.ResolveType("System.Private.CoreLib", "System.String").ShouldBe(typeof(string));
    }

    [Fact]
    public async Task Captured_future_becomes_the_contexts_own_future_type_and_reads_the_scope()
    {
        using var dir = new TempDirectory();
        var (store, testsHash, _) = StoreWithTestAssembly(dir);
        using var contexts = new CodeLoadContexts(store);
        var context = contexts.GetOrCreate([testsHash]);
        var future = new FakeFuture<int>("dep-1");
        var offset = 5;
        Func<int, int> f = x => x + future.Result + offset;

        var remote = TaskRunSpec.Deserialize(Wire(TaskRunSpec.Create(f, [1]).Serialize()), context);

        remote.DependencyKeys.ShouldBe(["dep-1"]);
        var captured = remote.Function.Target!.GetType().GetField("future")!.GetValue(remote.Function.Target)!;
        captured.GetType().ShouldNotBe(typeof(FakeFuture<int>));
        captured.ShouldBeAssignableTo<IFutureReference>();
        (await remote.InvokeAsync(_ => 100)).ShouldBe(106);
    }

    [Fact]
    public async Task Different_code_sets_get_different_contexts_and_both_work()
    {
        using var dir = new TempDirectory();
        var (store, testsHash, shouldlyHash) = StoreWithTestAssembly(dir);
        using var contexts = new CodeLoadContexts(store);

        var one = contexts.GetOrCreate([testsHash]);
        var two = contexts.GetOrCreate([shouldlyHash, testsHash]);
        contexts.GetOrCreate([testsHash, shouldlyHash]).ShouldBeSameAs(two);
        contexts.GetOrCreate([testsHash]).ShouldBeSameAs(one);
        contexts.Count.ShouldBe(2);
        two.LoadContext.ShouldNotBeSameAs(one.LoadContext);

        var segments = Wire(TaskRunSpec.Create(static (int x) => CrossContextFunctions.Square(x), [9]).Serialize());
        var a = TaskRunSpec.Deserialize(segments, one);
        var b = TaskRunSpec.Deserialize(segments, two);
        a.Function.Method.ShouldNotBeSameAs(b.Function.Method);
        a.Function.Method.DeclaringType!.Assembly.ShouldNotBeSameAs(b.Function.Method.DeclaringType!.Assembly);
        (await a.InvokeAsync(_ => null)).ShouldBe(81);
        (await b.InvokeAsync(_ => null)).ShouldBe(81);
        // Shouldly in the second set loads from the set, not from the default context.
        var shouldly = two.LoadAssembly("Shouldly");
        AssemblyLoadContext.GetLoadContext(shouldly).ShouldBeSameAs(two.LoadContext);
        AssemblyLoadContext.GetLoadContext(one.LoadAssembly("Shouldly")).ShouldBe(AssemblyLoadContext.Default);
    }

    [Fact]
    public void Missing_blob_fails_and_leaves_no_context()
    {
        using var dir = new TempDirectory();
        var (store, testsHash, _) = StoreWithTestAssembly(dir);
        using var contexts = new CodeLoadContexts(store);
        var missing = CodeHash.Of("missing"u8);
        Should.Throw<FileNotFoundException>(() => contexts.GetOrCreate([testsHash, missing])).Message.ShouldContain(missing);
        contexts.Count.ShouldBe(0);
    }

    [Fact]
    public void Empty_set_is_the_default_context()
    {
        using var dir = new TempDirectory();
        using var contexts = new CodeLoadContexts(new CodeStore(dir.Path));
        contexts.GetOrCreate(Array.Empty<string>()).ShouldBeSameAs(CodeContext.Default);
        CodeContext.Default.Resolver.ShouldBeSameAs(TypeResolver.Default);
    }
}

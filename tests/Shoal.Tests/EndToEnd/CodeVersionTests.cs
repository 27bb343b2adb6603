using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Loader;

namespace Shoal.Tests.EndToEnd;

/// <summary>
/// Two clients on one cluster of real processes, each with its own build of the same assembly
/// (same name, different code): each gets its own code on the workers.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class CodeVersionTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("shoal-versions-").FullName;

    [Fact]
    public async Task TwoVersionsOfOneAssemblyRunSideBySide()
    {
        var v1 = LoadVersion(1);
        var v2 = LoadVersion(2);
        v1.Method.Module.Assembly.GetName().Name.ShouldBe(v2.Method.Module.Assembly.GetName().Name);

        await using var client1 = await cluster.ConnectAsync();
        await using var client2 = await cluster.ConnectAsync();

        // Every worker gets tasks from both versions, interleaved.
        var ones = client1.Map(v1, Enumerable.Range(0, 40));
        var twos = client2.Map(v2, Enumerable.Range(0, 40));
        var results1 = await client1.GatherAsync(ones).WaitAsync(E2E.Timeout);
        var results2 = await client2.GatherAsync(twos).WaitAsync(E2E.Timeout);

        results1.ShouldBe(Enumerable.Range(0, 40).Select(x => x * 1000 + 1).ToArray());
        results2.ShouldBe(Enumerable.Range(0, 40).Select(x => x * 1000 + 2).ToArray());
    }

    /// <summary>Builds "VersionedLib" whose <c>Answer.Get(x)</c> returns x * 1000 + version, and loads it in a context of its own.</summary>
    private Func<int, int> LoadVersion(int version)
    {
        var builder = new PersistedAssemblyBuilder(new AssemblyName("VersionedLib") { Version = new Version(version, 0) }, typeof(object).Assembly);
        var module = builder.DefineDynamicModule("VersionedLib");
        var type = module.DefineType("VersionedLib.Answer", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed);
        var method = type.DefineMethod("Get", MethodAttributes.Public | MethodAttributes.Static, typeof(int), [typeof(int)]);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldc_I4, 1000);
        il.Emit(OpCodes.Mul);
        il.Emit(OpCodes.Ldc_I4, version);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Ret);
        type.CreateType();
        var path = Path.Combine(_directory, $"v{version}", "VersionedLib.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        builder.Save(path);

        var context = new AssemblyLoadContext($"VersionedLib-v{version}");
        var assembly = context.LoadFromAssemblyPath(path);
        return assembly.GetType("VersionedLib.Answer")!.GetMethod("Get")!.CreateDelegate<Func<int, int>>();
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { /* a loaded assembly may still hold its file */ }
    }
}

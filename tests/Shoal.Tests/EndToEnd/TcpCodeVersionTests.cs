using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Loader;

namespace Shoal.Tests.EndToEnd;

/// <summary>
/// Two clients on one cluster with different builds of the same assembly (same name, same
/// version, different code): each gets its own code on the workers.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class TcpCodeVersionTests : IClassFixture<TcpClusterFixture>
{
    private readonly TcpClusterFixture _cluster;

    public TcpCodeVersionTests(TcpClusterFixture cluster) => _cluster = cluster;

    /// <summary>Writes E2EVersioned.dll (version 1.0.0.0) whose <c>Versioned.Answer(int x)</c> returns <c>x * 1000 + answer</c>.</summary>
    internal static string BuildVersion(string directory, int answer)
    {
        var name = new AssemblyName("E2EVersioned") { Version = new Version(1, 0, 0, 0) };
        var assembly = new PersistedAssemblyBuilder(name, typeof(object).Assembly);
        var module = assembly.DefineDynamicModule("E2EVersioned");
        var type = module.DefineType("E2EVersioned.Versioned", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed | TypeAttributes.Class);
        var method = type.DefineMethod("Answer", MethodAttributes.Public | MethodAttributes.Static, typeof(int), [typeof(int)]);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldc_I4, 1000);
        il.Emit(OpCodes.Mul);
        il.Emit(OpCodes.Ldc_I4, answer);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Ret);
        type.CreateType();
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "E2EVersioned.dll");
        assembly.Save(path);
        return path;
    }

    internal static Func<int, int> LoadAnswer(string path, string contextName)
    {
        var loaded = new AssemblyLoadContext(contextName).LoadFromAssemblyPath(path);
        return loaded.GetType("E2EVersioned.Versioned", throwOnError: true)!.GetMethod("Answer")!.CreateDelegate<Func<int, int>>();
    }

    [Fact]
    public async Task Two_clients_with_different_builds_of_one_assembly_each_run_their_own_code()
    {
        var dir = Directory.CreateTempSubdirectory("shoal-e2e-versions-").FullName;
        try
        {
            var v1 = LoadAnswer(BuildVersion(Path.Combine(dir, "v1"), 1), "e2e-v1");
            var v2 = LoadAnswer(BuildVersion(Path.Combine(dir, "v2"), 2), "e2e-v2");
            v1(5).ShouldBe(5001);
            v2(5).ShouldBe(5002);
            v1.Method.DeclaringType!.Assembly.FullName.ShouldBe(v2.Method.DeclaringType!.Assembly.FullName);

            await using var first = await _cluster.ConnectAsync();
            await using var second = await _cluster.ConnectAsync();
            var one = first.Map(v1, Enumerable.Range(0, 20));
            var two = second.Map(v2, Enumerable.Range(0, 20));
            one[0].Key.ShouldNotBe(two[0].Key);
            (await first.GatherAsync(one).WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 20).Select(x => x * 1000 + 1).ToArray());
            (await second.GatherAsync(two).WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 20).Select(x => x * 1000 + 2).ToArray());

            // Both again, interleaved on the same workers, now that both builds are cached there.
            var again = Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? first.Submit(v1, 100 + i) : second.Submit(v2, 100 + i)).ToArray();
            var results = await Task.WhenAll(again.Select(f => f.ResultAsync())).WaitAsync(E2E.Timeout);
            results.ShouldBe(Enumerable.Range(0, 10).Select(i => (100 + i) * 1000 + (i % 2 == 0 ? 1 : 2)).ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

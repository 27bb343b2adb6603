using Shoal.Code;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Code;

/// <summary>
/// Tasks whose code needs NuGet packages Shoal does not reference, one with a native library
/// (Microsoft.Data.Sqlite and SQLite itself), on worker processes that have never seen them:
/// the client ships the package graph from the deps.json, and each code context on a worker
/// answers its own P/Invokes.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class PackageDependencyTests : IClassFixture<TcpClusterFixture>
{
    private readonly TcpClusterFixture _cluster;

    public PackageDependencyTests(TcpClusterFixture cluster) => _cluster = cluster;

    [Fact]
    public void The_code_set_carries_the_package_graph_and_the_native_library_for_this_platform()
    {
        var probe = PluginFixture.Load("SqliteProbe10", "SqliteProbe").Method<Func<int, string>>("SqliteProbe.Probe", "Run");
        var code = CodeSet.For(probe);
        var names = code.Assemblies.Select(a => a.Name).ToList();
        // SQLitePCLRaw.batteries_v2 is loaded by name at run time: only the package graph names it.
        names.ShouldContain("SqliteProbe");
        names.ShouldContain("Microsoft.Data.Sqlite");
        names.ShouldContain("SQLitePCLRaw.core");
        names.ShouldContain("SQLitePCLRaw.batteries_v2");
        names.ShouldContain("SQLitePCLRaw.provider.e_sqlite3");
        var native = code.Assemblies.Where(a => a.NativeRid is not null).ShouldHaveSingleItem();
        native.Name.ShouldBe("libe_sqlite3.so");
        RuntimeIds.RunsHere(native.NativeRid!).ShouldBeTrue();
        names.ShouldNotContain("Shoal");
    }

    [Fact]
    public async Task A_task_using_a_package_with_a_native_library_runs_on_workers_that_never_saw_it()
    {
        Directory.EnumerateFiles(Path.GetDirectoryName(IsolatedCli.Path)!, "*qlite*", SearchOption.AllDirectories).ShouldBeEmpty();
        var plugin = PluginFixture.Load("SqliteProbe10", "SqliteProbe");
        var probe = plugin.Method<Func<int, string>>("SqliteProbe.Probe", "Run");

        await using var client = await _cluster.ConnectAsync();
        var remote = await client.GatherAsync(client.Map(probe, Enumerable.Range(0, 12))).WaitAsync(E2E.Timeout);

        // The same code run here, in the plugin's own context, says what each answer must be.
        var local = Enumerable.Range(0, 12).Select(probe).ToArray();
        remote.ShouldBe(local);
        remote[5].ShouldStartWith("10.0.0.0 3.");
        remote[5].ShouldEndWith(" 10");
    }

    [Fact]
    public async Task Two_clients_with_two_versions_of_one_package_and_its_native_library_each_run_their_own_on_the_same_workers()
    {
        var old = PluginFixture.Load("SqliteProbe10", "SqliteProbe").Method<Func<int, string>>("SqliteProbe.Probe", "Run");
        var current = PluginFixture.Load("SqliteProbe11", "SqliteProbe").Method<Func<int, string>>("SqliteProbe.Probe", "Run");

        await using var first = await _cluster.ConnectAsync();
        await using var second = await _cluster.ConnectAsync();
        // Interleaved on both workers, so each worker process holds both versions at once.
        var futures = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? first.Submit(old, i) : second.Submit(current, i)).ToArray();
        var results = await Task.WhenAll(futures.Select(f => f.ResultAsync())).WaitAsync(E2E.Timeout);

        var expected = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? old(i) : current(i)).ToArray();
        results.ShouldBe(expected);
        results[0].Split(' ')[0].ShouldBe("10.0.0.0");
        results[1].Split(' ')[0].ShouldBe("11.0.0.0");
        // Two native SQLite builds, one per code context, in each worker process.
        results[0].Split(' ')[1].ShouldNotBe(results[1].Split(' ')[1]);
    }

    [Fact]
    public async Task Shipped_code_that_uses_a_dependency_of_Shoal_itself_finds_the_workers_copy()
    {
        // System.IO.Hashing is Shoal's (the result journal's CRC): it never travels, and the code
        // context on the worker resolves it from the worker's own installation.
        CodeSet.ForType(typeof(System.IO.Hashing.Crc32)).IsEmpty.ShouldBeTrue();
        await using var client = await _cluster.ConnectAsync();
        var crc = await client.Submit(static (string text) => System.IO.Hashing.Crc32.HashToUInt32(System.Text.Encoding.ASCII.GetBytes(text)), "123456789")
            .ResultAsync().WaitAsync(E2E.Timeout);
        crc.ShouldBe(0xCBF43926u); // the CRC-32 check value
    }
}

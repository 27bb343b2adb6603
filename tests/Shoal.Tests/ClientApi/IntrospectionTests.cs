using System.Text.Json;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.ClientApi;

/// <summary>
/// Introspection and control on real worker processes that never saw this assembly: run a function on every worker,
/// what each worker holds and processes, sizes, versions compared, and a cluster dump for bug reports.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class IntrospectionTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task RunAsync_runs_once_on_every_worker_or_on_those_named()
    {
        await using var client = await cluster.ConnectAsync();
        var info = await client.GetClusterInfoAsync();
        var pids = await client.RunAsync(static () => Environment.ProcessId).WaitAsync(E2E.Timeout);
        pids.Keys.Order().ShouldBe(info.Workers.Select(w => w.Address).Order());
        pids.Values.Distinct().Count().ShouldBe(2, "each worker is its own process");
        pids.Values.ShouldNotContain(Environment.ProcessId);

        var names = await client.RunAsync(static () => WorkerContext.Name!, [cluster.WorkerNames[1]]).WaitAsync(E2E.Timeout);
        names.Values.ShouldBe([cluster.WorkerNames[1]]);
        (await E2E.CatchAsync(() => client.RunAsync(static () => 1, ["nobody"]))).ShouldBeOfType<ArgumentException>();
    }

    [Fact]
    public async Task HasWhat_Processing_and_NBytes_say_where_keys_are()
    {
        await using var client = await cluster.ConnectAsync();
        var info = await client.GetClusterInfoAsync();
        var held = client.Submit(static (int n) => new byte[n], 50_000, new SubmitOptions { Workers = [cluster.WorkerNames[0]] });
        await held.ResultAsync().WaitAsync(E2E.Timeout);
        var stuck = client.Submit(static () => 0, Pending.NowhereToRun);
        var hasWhat = await client.HasWhatAsync().WaitAsync(E2E.Timeout);
        var first = info.Workers.Single(w => w.Name == cluster.WorkerNames[0]).Address;
        hasWhat.Keys.Order().ShouldBe(info.Workers.Select(w => w.Address).Order());
        hasWhat[first].ShouldContain(held.Key);
        (await client.NBytesAsync().WaitAsync(E2E.Timeout))[held.Key].ShouldBeGreaterThanOrEqualTo(50_000);
        var processing = await client.ProcessingAsync().WaitAsync(E2E.Timeout);
        processing.Values.SelectMany(k => k).ShouldNotContain(stuck.Key, "a task no worker may run is not processing anywhere");
        await client.CancelAsync(stuck).WaitAsync(E2E.Timeout);
    }

    [Fact]
    public async Task Versions_of_client_scheduler_and_workers_are_compared()
    {
        await using var client = await cluster.ConnectAsync();
        var versions = await client.GetVersionsAsync().WaitAsync(E2E.Timeout);
        versions.Client.Shoal.ShouldNotBeNullOrWhiteSpace();
        versions.Scheduler.Shoal.ShouldBe(versions.Client.Shoal);
        versions.Workers.Keys.Order().ShouldBe(cluster.WorkerNames);
        versions.Workers.Values.ShouldAllBe(w => w.Runtime == versions.Client.Runtime && w.Shoal == versions.Client.Shoal);
        versions.Mismatches.ShouldBeEmpty();

        var odd = versions with { Workers = new Dictionary<string, ProcessVersions> { ["old"] = versions.Client with { Shoal = "0.0.1" } } };
        new ClusterVersions(odd.Client, odd.Scheduler, odd.Workers).Mismatches.ShouldBe(["worker old runs Shoal 0.0.1, the client " + versions.Client.Shoal]);
    }

    [Fact]
    public async Task The_cluster_dump_names_workers_their_keys_and_the_clients_futures()
    {
        await using var client = await cluster.ConnectAsync();
        var future = client.Submit(static (int x) => x * 2, 21);
        await future.ResultAsync().WaitAsync(E2E.Timeout);
        var path = Path.Combine(Path.GetTempPath(), $"shoal-dump-{Guid.NewGuid():N}.json");
        try
        {
            (await client.DumpClusterStateAsync(path).WaitAsync(E2E.Timeout)).ShouldBe(path);
            using var dump = JsonDocument.Parse(await File.ReadAllTextAsync(path));
            var root = dump.RootElement;
            root.GetProperty("scheduler").GetProperty("address").GetString().ShouldBe(cluster.SchedulerAddress);
            root.GetProperty("client").GetProperty("futures").GetProperty(future.Key).GetString().ShouldBe("Finished");
            var workers = root.GetProperty("workers").EnumerateArray().ToList();
            workers.Select(w => w.GetProperty("name").GetString()).Order().ShouldBe(cluster.WorkerNames);
            workers.Count(w => w.GetProperty("has_what").TryGetProperty(future.Key, out var _)).ShouldBeGreaterThanOrEqualTo(1);
            root.GetProperty("scheduler").GetProperty("task_states").GetProperty("Memory").GetInt64().ShouldBeGreaterThanOrEqualTo(1);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

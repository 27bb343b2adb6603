using Xunit.Abstractions;

namespace Shoal.Tests.Resilience;

public class RetirementTests(ITestOutputHelper output)
{
    private static readonly int[] RetireRuns = new int[400];
    private static readonly int[] ScaleRuns = new int[400];

    [Fact]
    public async Task Retiring_a_worker_that_holds_unique_results_mid_graph_recomputes_nothing()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2, ThreadsPerWorker = 1 });
        await using var client = await Client.ConnectAsync(cluster);
        var leaves = client.Map(static (int i) => { Interlocked.Increment(ref RetireRuns[i]); return i; }, Enumerable.Range(0, RetireRuns.Length));
        await Task.WhenAll(leaves.Select(f => f.ResultAsync())).WaitAsync(TimeSpan.FromSeconds(30));
        await BothWorkersHoldResultsAsync(client);

        var doubled = client.Map(static (int v) => { Thread.Sleep(1); return v * 2; }, leaves);
        var leaving = cluster.WorkerNames[0];
        var retired = await client.RetireWorkersAsync([leaving]).WaitAsync(TimeSpan.FromSeconds(30));
        var total = client.Submit(static (int[] v) => v.Sum(), doubled);

        retired.ShouldBe([leaving]);
        (await total.ResultAsync().WaitAsync(TimeSpan.FromSeconds(60))).ShouldBe(Enumerable.Range(0, RetireRuns.Length).Sum() * 2);
        RetireRuns.ShouldAllBe(runs => runs == 1);
        cluster.Scheduler.Departures.ShouldHaveSingleItem().Cause.ShouldBe("retired");
        cluster.Scheduler.WorkerCount.ShouldBe(1);
        output.WriteLine($"{cluster.Scheduler.TasksDone} executions for {2 * RetireRuns.Length + 1} tasks");
    }

    [Fact]
    public async Task Scaling_down_moves_unique_results_first()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2, ThreadsPerWorker = 1 });
        await using var client = await Client.ConnectAsync(cluster);
        var leaves = client.Map(static (int i) => { Interlocked.Increment(ref ScaleRuns[i]); return i + 1; }, Enumerable.Range(0, ScaleRuns.Length));
        await Task.WhenAll(leaves.Select(f => f.ResultAsync())).WaitAsync(TimeSpan.FromSeconds(30));
        await BothWorkersHoldResultsAsync(client);

        await cluster.ScaleAsync(1).WaitAsync(TimeSpan.FromSeconds(30));
        var total = client.Submit(static (int[] v) => v.Sum(), leaves);

        (await total.ResultAsync().WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(Enumerable.Range(1, ScaleRuns.Length).Sum());
        ScaleRuns.ShouldAllBe(runs => runs == 1);
        cluster.Scheduler.WorkerCount.ShouldBe(1);
        cluster.Scheduler.Departures.ShouldHaveSingleItem().Cause.ShouldBe("retired");
    }

    /// <summary>Results are spread over both workers, each holding its own (heartbeats report the counts).</summary>
    private static Task BothWorkersHoldResultsAsync(Client client) =>
        Eventually.HoldsAsync(async () => (await client.GetClusterInfoAsync()).Workers.All(w => w.StoredKeys > 0),
            TimeSpan.FromSeconds(10), "both workers report results they hold");
}

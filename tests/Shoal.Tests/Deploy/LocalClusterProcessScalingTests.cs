using Shoal.Deploy;
using Shoal.Tests.EndToEnd;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Deploy;

/// <summary>
/// <see cref="LocalCluster.ScaleAsync"/> and <see cref="LocalCluster.AdaptAsync(AdaptOptions, CancellationToken)"/> with
/// worker processes (the in-process variants: <c>RetirementTests</c>, <c>SpecClusterTests</c>): results held by the
/// workers survive every scale-down and nothing is recomputed (the scheduler counts every task run).
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class LocalClusterProcessScalingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan TaskDuration = TimeSpan.FromMilliseconds(150);

    [Fact]
    public async Task Worker_processes_scale_up_and_down_with_data_held_and_nothing_is_recomputed()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = 2, ThreadsPerWorker = 1 });
        await using var client = await Client.ConnectAsync(cluster);
        var first = client.Map(static (int x) => new string('a', 1000 + x), Enumerable.Range(0, 40));
        await client.WaitAsync(first).WaitAsync(Patience);
        (await client.HasWhatAsync()).Values.ShouldAllBe(keys => keys.Count > 0, "both worker processes hold results");

        await cluster.ScaleAsync(3).WaitAsync(Patience);
        cluster.WorkerProcessIds.Count.ShouldBe(3);
        cluster.Scheduler.WorkerCount.ShouldBe(3);
        var newest = cluster.WorkerNames[^1];
        var second = client.Map(static (int x) => x * 3, Enumerable.Range(0, 6), new SubmitOptions { Workers = [newest] });
        await client.WaitAsync(second).WaitAsync(Patience);

        await cluster.ScaleAsync(1).WaitAsync(Patience);
        cluster.WorkerProcessIds.Count.ShouldBe(1);
        cluster.Scheduler.WorkerCount.ShouldBe(1);
        cluster.Scheduler.Departures.Select(d => d.Cause).ShouldBe(["retired", "retired"]);
        (await client.GatherAsync(first).WaitAsync(Patience)).Select(s => s.Length).ShouldBe(Enumerable.Range(1000, 40));
        (await client.GatherAsync(second).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 6).Select(x => x * 3));
        cluster.Scheduler.TasksDone.ShouldBe(46, "every result was moved off the leaving processes, none computed again");
    }

    [Fact]
    public async Task Worker_processes_adapt_to_a_load_and_back_keeping_the_results()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = 1, ThreadsPerWorker = 1 });
        await cluster.AdaptAsync(new AdaptOptions { Minimum = 1, Maximum = 3, Interval = TimeSpan.FromMilliseconds(100), WaitCount = 3, TargetDuration = 0.5 });
        await using var client = await Client.ConnectAsync(cluster);
        var work = TaskDuration;
        var futures = client.Map((int x) =>
        {
            Task.Delay(work).Wait(); // the task's own work
            return -x;
        }, Enumerable.Range(0, 30));

        await Eventually.HoldsAsync(() => cluster.WorkerProcessIds.Count == 3, Patience, "scaled up to the maximum under the load");
        (await client.GatherAsync(futures).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 30).Select(x => -x));
        await Eventually.HoldsAsync(() => cluster.WorkerProcessIds.Count == 1 && cluster.Scheduler.WorkerCount == 1, Patience, "scaled back to the minimum");
        (await client.GatherAsync(futures).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 30).Select(x => -x));
        cluster.Scheduler.Departures.ShouldAllBe(d => d.Cause == "retired");
        cluster.Scheduler.TasksDone.ShouldBe(30, "a scale-down moved results, none was computed again");
    }
}

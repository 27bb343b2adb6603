using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.TasksOnCluster;

/// <summary>
/// Tasks that work on the cluster, on two single-threaded <c>shoal worker</c> processes that never saw this assembly:
/// a task gets a client from <see cref="WorkerContext"/>, submits tasks and waits for them, giving up its slot while it
/// waits (Dask's get_client, secede, rejoin).
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class TasksThatSubmitTasksTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    /// <summary>Sums lo..hi-1 by splitting the range in halves, <paramref name="depth"/> levels deep, each half a task.</summary>
    private static async Task<long> SumBySplitting(long lo, long hi, int depth)
    {
        if (depth == 0)
        {
            long sum = 0;
            for (var i = lo; i < hi; i++) sum += i;
            return sum;
        }

        var client = await WorkerContext.GetClientAsync();
        var mid = (lo + hi) / 2;
        var left = client.Submit(SumBySplitting, lo, mid, depth - 1);
        var right = client.Submit(SumBySplitting, mid, hi, depth - 1);
        var halves = await client.GatherAsync([left, right]);
        return halves[0] + halves[1];
    }

    [Fact]
    public async Task A_recursive_computation_four_levels_deep_completes_on_two_single_threaded_workers()
    {
        await using var client = await cluster.ConnectAsync();
        // 1 + 2 + 4 + 8 tasks wait on their halves while 16 leaves compute: without giving up their slots the two
        // workers' only threads would be held by waiting parents.
        var total = client.Submit(SumBySplitting, 0L, 1_000_000L, 4);
        (await total.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(999_999L * 1_000_000L / 2);
    }

    [Fact]
    public async Task A_task_knows_its_worker_and_a_client_made_there_reaches_the_same_scheduler()
    {
        await using var client = await cluster.ConnectAsync();
        var info = client.Submit(static async () =>
        {
            var inner = await WorkerContext.GetClientAsync();
            var again = WorkerContext.GetClient();
            var cluster = await inner.GetClusterInfoAsync();
            return new[]
            {
                WorkerContext.Name ?? "", WorkerContext.Address ?? "", WorkerContext.SchedulerAddress ?? "", WorkerContext.Key ?? "",
                WorkerContext.NThreads.ToString(System.Globalization.CultureInfo.InvariantCulture), ReferenceEquals(inner, again).ToString(),
                cluster.Workers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        });
        var seen = await info.ResultAsync().WaitAsync(E2E.Timeout);
        cluster.WorkerNames.ShouldContain(seen[0]);
        seen[1].ShouldStartWith("tcp://");
        seen[2].ShouldBe(cluster.SchedulerAddress);
        seen[3].ShouldBe(info.Key);
        seen[4].ShouldBe("1");
        seen[5].ShouldBe("True"); // one client per worker, shared by its tasks
        seen[6].ShouldBe("2"); // the inner client sees the same cluster
        WorkerContext.Name.ShouldBeNull(); // outside a task
        Should.Throw<InvalidOperationException>(() => WorkerContext.GetClient()).Message.ShouldContain("inside a task");
    }

    [Fact]
    public async Task An_explicit_secession_lasts_until_the_task_rejoins()
    {
        await using var client = await cluster.ConnectAsync();
        var states = client.Submit(static async () =>
        {
            var before = WorkerContext.IsSeceded;
            var first = WorkerContext.Secede();
            var second = WorkerContext.Secede();
            var inner = await WorkerContext.GetClientAsync();
            var child = inner.Submit(static (int x) => x + 1, 41, new SubmitOptions { Pure = false });
            var value = await child; // waiting does not rejoin a secession the task made itself
            var during = WorkerContext.IsSeceded;
            await WorkerContext.RejoinAsync();
            return $"{before} {first} {second} {during} {WorkerContext.IsSeceded} {value}";
        });
        (await states.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe("False True False True False 42");
    }

    [Fact]
    public async Task A_task_can_fan_out_a_thousand_subtasks_and_reduce_them()
    {
        await using var client = await cluster.ConnectAsync();
        var total = client.Submit(static async (int n) =>
        {
            var inner = await WorkerContext.GetClientAsync();
            var parts = inner.Map(static (int i) => (long)i * i, Enumerable.Range(0, n));
            return (await inner.GatherAsync(parts)).Sum();
        }, 1000);
        (await total.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 1000).Sum(i => (long)i * i));
    }
}

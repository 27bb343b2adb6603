namespace Shoal.Tests.EndToEnd;

/// <summary>
/// Chains on a real cluster run their links without a round trip each: the scheduler assigns each link ahead of time
/// to the worker computing its input, and the worker starts it when the input is done (SchedulerState.AheadOfTime.cs).
/// </summary>
public class AheadOfTimeChainTests
{
    private static readonly Func<long, long> Inc = static x => x + 1;

    [Fact]
    public async Task A_chain_of_submits_runs_its_links_ahead_of_time()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 2, threads: 1);
        const int n = 400;
        var futures = new List<Future<long>>(n) { c.Client.Submit(Inc, 0L, new SubmitOptions { Pure = false }) };
        for (var i = 1; i < n; i++) futures.Add(c.Client.Submit(Inc, futures[^1], new SubmitOptions { Pure = false }));
        (await futures[^1].ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(n);
        // Links submitted after their input finished are placed as before; most arrive while it is still running.
        c.Cluster.Scheduler.AheadLanded.ShouldBeGreaterThan(n / 2);
        foreach (var future in futures) future.Dispose();
    }

    [Fact]
    public async Task A_delayed_chain_runs_its_links_ahead_of_time()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 2, threads: 1);
        const int n = 400;
        var x = Delayed.Call(Inc, 0L);
        for (var i = 1; i < n; i++) x = Delayed.Call(Inc, x);
        (await c.Client.ComputeAsync(x).WaitAsync(E2E.Timeout)).ShouldBe(n);
        c.Cluster.Scheduler.AheadLanded.ShouldBe(n - 1); // the whole graph is known at once: every link but the first
    }
}

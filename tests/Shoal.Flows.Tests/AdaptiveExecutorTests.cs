namespace Shoal.Flows.Tests;

/// <summary>A per-run cluster with <see cref="ClusterSizing.Adaptive"/> follows the scheduler's target within the sizing's bounds.</summary>
[Collection(ProcessesCollection.Name)]
public class AdaptiveExecutorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_adaptive_per_run_cluster_grows_under_the_runs_load_up_to_the_maximum_and_no_further()
    {
        LocalCluster? started = null;
        var executor = FlowExecutors.PerRun(async _ =>
        {
            started = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1, DashboardAddress = null });
            return (ICluster)started;
        }, new ClusterSizing(1, 3) { Adaptive = true });

        await using (var execution = await executor.StartAsync(new object(), CancellationToken.None))
        {
            started.ShouldNotBeNull().WorkerCount.ShouldBe(1); // the minimum: no load yet
            // A backlog far longer than the adaptive target duration (5 s) for one worker.
            var work = execution.Client.Map(static async (int i) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(300));
                return i;
            }, Enumerable.Range(0, 60));
            var most = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (started.WorkerCount < 3 && clock.Elapsed < Patience)
            {
                // The adaptive loop's steps are not announced: poll the cluster's size.
                most = Math.Max(most, started.WorkerCount);
                await Task.Delay(TimeSpan.FromMilliseconds(20));
            }

            started.WorkerCount.ShouldBe(3, "the cluster did not grow to the maximum under the load");
            (await execution.Client.GatherAsync(work).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 60));
            Math.Max(most, started.WorkerCount).ShouldBeLessThanOrEqualTo(3);
        }

        started.WorkerCount.ShouldBe(0); // torn down with the run
    }

    [Fact]
    public async Task Adaptive_sizing_of_a_cluster_that_cannot_adapt_is_refused_and_the_cluster_torn_down()
    {
        LocalCluster? inner = null;
        var executor = FlowExecutors.PerRun(async _ =>
        {
            inner = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1, DashboardAddress = null });
            return (ICluster)new FixedCluster(inner);
        }, new ClusterSizing(1, 2) { Adaptive = true });

        var error = await Should.ThrowAsync<NotSupportedException>(() => executor.StartAsync(new object(), CancellationToken.None));
        error.Message.ShouldContain("cannot adapt; it needs an IAdaptiveCluster");
        inner.ShouldNotBeNull().WorkerCount.ShouldBe(0);
    }

    /// <summary>A cluster that only scales (as a third-party ICluster may).</summary>
    private sealed class FixedCluster(LocalCluster inner) : ICluster
    {
        public string SchedulerAddress => inner.SchedulerAddress;

        public string? DashboardLink => inner.DashboardLink;

        public Task ScaleAsync(int workers, CancellationToken cancellationToken = default) => inner.ScaleAsync(workers, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

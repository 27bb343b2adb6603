using System.Collections.Concurrent;
using Shoal.Deploy;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Deploy;

public sealed class AdaptivePolicyTests
{
    [Fact]
    public void Up_at_once_down_only_after_the_target_stayed_lower_for_wait_count_readings_and_then_to_the_highest_of_them()
    {
        var policy = new AdaptivePolicy(minimum: 1, maximum: 10, waitCount: 3);
        policy.Decide(target: 0, current: 0).ShouldBe(1); // the minimum
        policy.Decide(target: 25, current: 1).ShouldBe(10); // the maximum, at once
        policy.Decide(target: 10, current: 10).ShouldBeNull();
        policy.Decide(target: 4, current: 10).ShouldBeNull();
        policy.Decide(target: 10, current: 10).ShouldBeNull(); // a dip: the streak starts again
        policy.Decide(target: 2, current: 10).ShouldBeNull();
        policy.Decide(target: 6, current: 10).ShouldBeNull();
        policy.Decide(target: 3, current: 10).ShouldBe(6); // the highest of the three lower readings
        policy.Decide(target: 7, current: 6).ShouldBe(7);
    }

    [Fact]
    public void Workers_still_starting_count_so_a_slow_start_makes_no_second_scale_up()
    {
        var policy = new AdaptivePolicy(minimum: 0, maximum: 8, waitCount: 2);
        policy.Decide(target: 8, current: 2).ShouldBe(8);
        // The 6 new workers take a while: the target stays 8 and so do the launched workers (6 of them starting).
        for (var i = 0; i < 20; i++) policy.Decide(target: 8, current: 8).ShouldBeNull();
    }
}

/// <summary>SpecCluster with in-process workers that take seconds to start, under a load that rises and falls.</summary>
public sealed class SpecClusterTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan TaskDuration = TimeSpan.FromMilliseconds(150);
    private static readonly ConcurrentDictionary<int, int> Executions = new();

    /// <summary>Starts real in-process workers, each after a start-up delay, as pods and VMs take time to come up.</summary>
    private sealed class SlowLauncher(TimeSpan startDelay) : IWorkerLauncher
    {
        private readonly InProcessWorkerLauncher _inner = new();

        public int Starts;

        public bool InProcess => true;

        public async Task StartAsync(WorkerLaunch worker, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Starts);
            await Task.Delay(startDelay, cancellationToken); // the start-up time of the place the worker runs in
            await _inner.StartAsync(worker, cancellationToken);
        }

        public Task StopAsync(string name, CancellationToken cancellationToken = default) => _inner.StopAsync(name, cancellationToken);

        public WorkerLaunchStatus GetStatus(string name) => _inner.GetStatus(name);

        public Task<IReadOnlyList<string>> GetLogsAsync(string name, CancellationToken cancellationToken = default) => _inner.GetLogsAsync(name, cancellationToken);

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }

    [Fact]
    public async Task Adaptive_scaling_follows_a_load_that_rises_and_falls_with_few_scale_events_right_results_and_nothing_recomputed()
    {
        await using var launcher = new SlowLauncher(TimeSpan.FromSeconds(2));
        await using var cluster = await SpecCluster.StartAsync(new SpecClusterOptions { Launcher = launcher, NamePrefix = "adapt-" });
        await cluster.AdaptAsync(new AdaptOptions { Minimum = 1, Maximum = 4, Interval = TimeSpan.FromMilliseconds(200), WaitCount = 5, TargetDuration = 1 });
        await using var client = await Client.ConnectAsync(cluster);
        await client.WaitForWorkersAsync(1).WaitAsync(Patience);

        var held = new List<Future<int>>();
        foreach (var wave in new[] { Enumerable.Range(0, 60), Enumerable.Range(1000, 40) })
        {
            // Rise: far more work than one worker does in the target duration.
            var futures = client.Map(static (int x) =>
            {
                Executions.AddOrUpdate(x, 1, (_, n) => n + 1);
                Task.Delay(TaskDuration).Wait(); // the task's own work: 150 ms
                return x * 3;
            }, wave).ToList();
            await Eventually.HoldsAsync(() => cluster.WorkerNames.Count == 4, Patience, "scaled up to the maximum");
            (await client.GatherAsync(futures).WaitAsync(Patience)).ShouldBe(wave.Select(x => x * 3));
            held.AddRange(futures);

            // Fall: no work left; the results stay wanted (held), so retirement must move them.
            await Eventually.HoldsAsync(() => cluster.WorkerNames.Count == 1 && cluster.Scheduler.WorkerCount == 1, Patience, "scaled down to the minimum");
        }

        // Every result is still there, computed once: the scale-downs moved them rather than lose them.
        (await client.GatherAsync(held).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 60).Concat(Enumerable.Range(1000, 40)).Select(x => x * 3));
        Executions.Where(e => e.Key < 2000 && e.Value != 1).ShouldBeEmpty();

        // Two rises and two falls: up once each (the slow starts counted, not started again), down in few steps.
        var events = cluster.ScaleEvents;
        output.WriteLine(string.Join(Environment.NewLine, events));
        events.ShouldAllBe(e => e.Adaptive);
        events.Count(e => e.To > e.From).ShouldBe(3, string.Join(", ", events)); // to the minimum, then once per rise
        events.Count.ShouldBeLessThanOrEqualTo(8, string.Join(", ", events));
        launcher.Starts.ShouldBe(7); // 1 + 3 + 3: no worker started twice for one rise
    }

    [Fact]
    public async Task Scale_retires_the_workers_the_scheduler_chooses_and_the_launcher_stops_exactly_those()
    {
        await using var launcher = new InProcessWorkerLauncher();
        await using var cluster = await SpecCluster.StartAsync(new SpecClusterOptions { Launcher = launcher, Workers = 3, NamePrefix = "scale-" });
        await using var client = await Client.ConnectAsync(cluster);
        var data = client.Map(static (int x) => x + 1, Enumerable.Range(0, 30)).ToList();
        await client.GatherAsync(data).WaitAsync(Patience);

        await cluster.ScaleAsync(1).WaitAsync(Patience);
        var left = cluster.WorkerNames.ShouldHaveSingleItem();
        cluster.Scheduler.WorkerProcesses.Select(w => w.Worker).ShouldBe([left]);
        foreach (var name in new[] { "scale-1", "scale-2", "scale-3" }.Where(n => n != left)) launcher.GetStatus(name).ShouldBe(WorkerLaunchStatus.Stopped);
        launcher.GetStatus(left).ShouldBe(WorkerLaunchStatus.Running);
        (await client.GatherAsync(data).WaitAsync(Patience)).ShouldBe(Enumerable.Range(1, 30));

        await cluster.ScaleAsync(2).WaitAsync(Patience);
        cluster.WorkerNames.Count.ShouldBe(2);
        (await cluster.GetLogsAsync()).Keys.Order().ShouldBe(cluster.WorkerNames.Order());
        cluster.ScaleEvents.Select(e => (e.From, e.To)).ShouldBe([(0, 3), (3, 1), (1, 2)]);
    }

    [Fact]
    public async Task LocalCluster_adapts_too_and_keeps_its_results_across_the_scale_down()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1 });
        await cluster.AdaptAsync(new AdaptOptions { Minimum = 1, Maximum = 3, Interval = TimeSpan.FromMilliseconds(100), WaitCount = 3, TargetDuration = 0.5 });
        await using var client = await Client.ConnectAsync(cluster);
        var futures = client.Map(static (int x) =>
        {
            Executions.AddOrUpdate(x, 1, (_, n) => n + 1);
            Task.Delay(TaskDuration).Wait(); // the task's own work
            return -x;
        }, Enumerable.Range(2000, 30)).ToList();
        await Eventually.HoldsAsync(() => cluster.WorkerCount == 3, Patience, "LocalCluster scaled up");
        (await client.GatherAsync(futures).WaitAsync(Patience)).ShouldBe(Enumerable.Range(2000, 30).Select(x => -x));
        await Eventually.HoldsAsync(() => cluster.WorkerCount == 1 && cluster.Scheduler.WorkerCount == 1, Patience, "LocalCluster scaled down");
        (await client.GatherAsync(futures).WaitAsync(Patience)).ShouldBe(Enumerable.Range(2000, 30).Select(x => -x));
        Executions.Where(e => e.Key >= 2000 && e.Value != 1).ShouldBeEmpty();

        await cluster.ScaleAsync(2).WaitAsync(Patience); // a manual scale ends adapting: it stays at 2
        cluster.WorkerCount.ShouldBe(2);
    }

    [Fact]
    public async Task A_client_reads_the_adaptive_target_from_the_scheduler()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1 });
        await using var client = await Client.ConnectAsync(cluster);
        var idle = await client.GetAdaptiveTargetAsync();
        idle.Workers.ShouldBe(0);
        idle.Current.ShouldBe(cluster.WorkerNames);

        var gate = Shoal.Tests.EndToEnd.Gates.NewName("adaptive-target");
        var blocked = client.Map((int x) => { Shoal.Tests.EndToEnd.Gates.Get(gate).Task.Wait(); return x; }, Enumerable.Range(0, 40)).ToList();
        // 40 tasks of unknown duration (0.5 s each by default) over 1 s: 20 workers (never more than the 40 tasks).
        await Eventually.HoldsAsync(async () => (await client.GetAdaptiveTargetAsync(targetDuration: 1)).Workers == 20, Patience, "the target follows the backlog");
        (await Should.ThrowAsync<ArgumentOutOfRangeException>(() => client.GetAdaptiveTargetAsync(0))).ParamName.ShouldBe("targetDuration");
        Shoal.Tests.EndToEnd.Gates.Open(gate);
        await client.GatherAsync(blocked).WaitAsync(Patience);
    }

    [Fact]
    public async Task Bad_bounds_are_refused_with_a_clear_error()
    {
        await using var cluster = await SpecCluster.StartAsync(new SpecClusterOptions { Launcher = new InProcessWorkerLauncher() });
        (await Should.ThrowAsync<ArgumentOutOfRangeException>(() => cluster.AdaptAsync(3, 2))).Message.ShouldContain("bounds 3..2");
        (await Should.ThrowAsync<ArgumentOutOfRangeException>(() => cluster.ScaleAsync(-1))).ParamName.ShouldBe("workers");
    }
}

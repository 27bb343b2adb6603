using System.Collections.Concurrent;

namespace Shoal.Tests.EndToEnd;

/// <summary>Scheduling seen from the client on an in-process LocalCluster: cancellation, completion order, scatter, placement, graphs, forgetting.</summary>
public sealed class InProcessSchedulingTests
{
    private static async Task<string> WaitAtGate(string name)
    {
        Gates.Open(name + "/started");
        await Gates.Get(name).Task;
        return name;
    }

    [Fact]
    public async Task Cancelling_a_running_task_cancels_its_future()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 1, threads: 1);
        var gate = Gates.NewName("cancel");
        try
        {
            var blocked = c.Client.Submit(WaitAtGate, gate);
            await Gates.Get(gate + "/started").Task.WaitAsync(E2E.Timeout);
            await c.Client.CancelAsync(blocked).WaitAsync(E2E.Timeout);
            blocked.Status.ShouldBe(FutureStatus.Cancelled);
            var error = await Should.ThrowAsync<Exception>(blocked.ResultAsync().WaitAsync(E2E.Timeout));
            error.ShouldBeAssignableTo<OperationCanceledException>();
            await Should.ThrowAsync<Exception>(c.Client.GatherAsync([blocked]).WaitAsync(E2E.Timeout));
        }
        finally
        {
            Gates.Open(gate);
        }

        // Once the cancelled task returns, its result is dropped: nothing stays on the scheduler or the worker.
        var clean = await E2E.PollAsync(async () =>
        {
            var info = await c.Client.GetClusterInfoAsync();
            return info.Tasks == 0 && info.Workers.All(w => w.StoredKeys == 0 && w.Executing == 0);
        }, E2E.Timeout);
        clean.ShouldBeTrue((await c.Client.GetClusterInfoAsync()).ToString());

        // The worker's thread came back, and the cluster goes on working.
        (await c.Client.Submit(static () => 7).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(7);
    }

    [Fact]
    public async Task Cancelling_a_waiting_task_cancels_it_and_its_dependents()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 1, threads: 1);
        var gate = Gates.NewName("cancel-queued");
        try
        {
            var blocker = c.Client.Submit(WaitAtGate, gate);
            await Gates.Get(gate + "/started").Task.WaitAsync(E2E.Timeout);
            var queued = c.Client.Submit(static (int x) => x + 1, 1);
            var dependent = c.Client.Submit(static (int x) => x * 10, queued);
            await c.Client.CancelAsync(queued).WaitAsync(E2E.Timeout);
            queued.Status.ShouldBe(FutureStatus.Cancelled);
            var error = await Should.ThrowAsync<Exception>(dependent.ResultAsync().WaitAsync(E2E.Timeout));
            error.ShouldBeAssignableTo<OperationCanceledException>();
            Gates.Open(gate);
            (await blocker.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(gate);
        }
        finally
        {
            Gates.Open(gate);
        }
    }

    [Fact]
    public async Task AsCompleted_yields_futures_in_completion_order()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 2, threads: 2);
        var names = Enumerable.Range(0, 3).Select(i => Gates.NewName($"order{i}")).ToArray();
        try
        {
            var futures = names.Select(n => c.Client.Submit(WaitAtGate, n)).ToArray();
            foreach (var n in names) await Gates.Get(n + "/started").Task.WaitAsync(E2E.Timeout);
            var releaseOrder = new[] { 2, 0, 1 };
            var yielded = new List<string>();
            Gates.Open(names[releaseOrder[0]]);
            await foreach (var done in c.Client.AsCompleted(futures).WithCancellation(new CancellationTokenSource(E2E.Timeout).Token))
            {
                yielded.Add(await done.ResultAsync());
                if (yielded.Count < releaseOrder.Length) Gates.Open(names[releaseOrder[yielded.Count]]);
            }

            yielded.ShouldBe(releaseOrder.Select(i => names[i]).ToList());
        }
        finally
        {
            foreach (var n in names) Gates.Open(n);
        }
    }

    [Fact]
    public async Task Scattered_values_feed_tasks()
    {
        await using var c = await InProcessCluster.StartAsync();
        var one = await c.Client.ScatterAsync(new[] { 1, 2, 3 }).WaitAsync(E2E.Timeout);
        one.Status.ShouldBe(FutureStatus.Finished);
        (await c.Client.Submit(static (int[] v) => v.Sum(), one).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(6);
        var many = await c.Client.ScatterAsync<int>(Enumerable.Range(0, 20)).WaitAsync(E2E.Timeout);
        many.Length.ShouldBe(20);
        (await c.Client.Submit(static (int[] v) => v.Sum(), many).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(190);
        (await c.Client.GatherAsync(many).WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 20).ToArray());
    }

    [Fact]
    public async Task A_broadcast_value_is_held_by_every_worker()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 3, threads: 1);
        var shared = await c.Client.ScatterAsync(Enumerable.Range(0, 1000).ToArray(), broadcast: true).WaitAsync(E2E.Timeout);
        var workers = (await c.Client.GetClusterInfoAsync().WaitAsync(E2E.Timeout)).Workers;
        workers.Count.ShouldBe(3);
        foreach (var worker in workers)
        {
            (await E2E.WorkerHoldsAsync(c.Client.SchedulerAddress, worker.Address, shared.Key)).ShouldBeTrue($"{worker.Name} does not hold the broadcast value");
            var onWorker = c.Client.Submit(static (int[] v) => $"{WorkerContext.Name}:{v.Sum()}", shared,
                new SubmitOptions { Workers = [worker.Name], Pure = false });
            (await onWorker.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe($"{worker.Name}:499500");
        }

        // Without broadcast a single value lands on one worker only.
        var single = await c.Client.ScatterAsync(new[] { 5, 6 }).WaitAsync(E2E.Timeout);
        var holders = 0;
        foreach (var worker in workers) holders += await E2E.WorkerHoldsAsync(c.Client.SchedulerAddress, worker.Address, single.Key) ? 1 : 0;
        holders.ShouldBe(1);
    }

    [Fact]
    public async Task Worker_restrictions_pin_tasks_and_allow_other_workers_relaxes_them()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 2, threads: 2);
        var workers = (await c.Client.GetClusterInfoAsync().WaitAsync(E2E.Timeout)).Workers;
        var target = workers[1].Name;
        var pinned = c.Client.Map(static (int _) => WorkerContext.Name!, Enumerable.Range(0, 40), new SubmitOptions { Workers = [target] });
        (await c.Client.GatherAsync(pinned).WaitAsync(E2E.Timeout)).ShouldAllBe(name => name == target);

        var byAddress = c.Client.Submit(static () => WorkerContext.Name!, new SubmitOptions { Workers = [workers[0].Address], Pure = false });
        (await byAddress.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(workers[0].Name);

        var relaxed = c.Client.Submit(static () => WorkerContext.Name!, new SubmitOptions { Workers = ["no-such-worker"], AllowOtherWorkers = true, Pure = false });
        (await relaxed.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBeOneOf(workers.Select(w => w.Name).ToArray());
    }

    private static readonly ConcurrentDictionary<string, int> Running = new();
    private static readonly ConcurrentDictionary<string, int> MaxRunning = new();

    /// <summary>Counts how many tasks of a run are inside at once on each worker; the sleep is the work, not synchronisation.</summary>
    private static string Occupy(string run)
    {
        var slot = run + "/" + WorkerContext.Name;
        var now = Running.AddOrUpdate(slot, 1, static (_, n) => n + 1);
        MaxRunning.AddOrUpdate(slot, now, (_, m) => Math.Max(m, now));
        Thread.Sleep(30);
        Running.AddOrUpdate(slot, 0, static (_, n) => n - 1);
        return WorkerContext.Name!;
    }

    [Fact]
    public async Task Tasks_needing_a_resource_run_at_most_as_many_at_once_as_a_worker_has()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 2, threads: 3, resources: new Dictionary<string, double> { ["GPU"] = 1 });
        var workers = (await c.Client.GetClusterInfoAsync().WaitAsync(E2E.Timeout)).Workers;
        workers.ShouldAllBe(w => w.Resources["GPU"] == 1);

        var gpuRun = Gates.NewName("gpu");
        var gpu = c.Client.Map(Occupy, Enumerable.Repeat(gpuRun, 12), new SubmitOptions { Pure = false, Resources = new Dictionary<string, double> { ["GPU"] = 1 } });
        await c.Client.GatherAsync(gpu).WaitAsync(E2E.Timeout);
        var gpuSlots = MaxRunning.Where(p => p.Key.StartsWith(gpuRun, StringComparison.Ordinal)).ToArray();
        gpuSlots.ShouldNotBeEmpty();
        gpuSlots.ShouldAllBe(p => p.Value == 1);

        // The same work without the resource does use several threads per worker (so the limit above is the resource's doing).
        var freeRun = Gates.NewName("free");
        var free = c.Client.Map(Occupy, Enumerable.Repeat(freeRun, 12), new SubmitOptions { Pure = false });
        await c.Client.GatherAsync(free).WaitAsync(E2E.Timeout);
        MaxRunning.Where(p => p.Key.StartsWith(freeRun, StringComparison.Ordinal)).Max(p => p.Value).ShouldBeGreaterThan(1);
    }

    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> RunOrder = new();

    private static string Record(string run, string label)
    {
        RunOrder.GetOrAdd(run, static _ => new ConcurrentQueue<string>()).Enqueue(label);
        return label;
    }

    [Fact]
    public async Task Higher_priority_tasks_run_first()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 1, threads: 1);
        var gate = Gates.NewName("priority");
        var run = Gates.NewName("priority-run");
        try
        {
            var blocker = c.Client.Submit(WaitAtGate, gate);
            await Gates.Get(gate + "/started").Task.WaitAsync(E2E.Timeout);
            // One at a time, low first: the worker (1 thread) takes at least one more task than it
            // runs, so the first low ones may already be there (counted below).
            var low = Enumerable.Range(0, 5).Select(i => c.Client.Submit(Record, run, $"low{i}", new SubmitOptions { Priority = -1 })).ToArray();
            var high = Enumerable.Range(0, 5).Select(i => c.Client.Submit(Record, run, $"high{i}", new SubmitOptions { Priority = 10 })).ToArray();

            // As one graph (one update): the scheduler sees them all at once and the order is strict.
            var graphRun = Gates.NewName("priority-graph");
            var graph = c.Client.Persist(Enumerable.Range(0, 5).Select(i => Delayed.Call(Record, graphRun, $"low{i}", new SubmitOptions { Priority = -1 }))
                .Concat(Enumerable.Range(0, 5).Select(i => Delayed.Call(Record, graphRun, $"high{i}", new SubmitOptions { Priority = 10 }))));
            // Submissions travel asynchronously: open the gate only once the scheduler knows every task (its story of
            // each key has begun), or a low task that arrived first runs before a high one still on its way.
            var keys = low.Concat(high).Concat(graph).Select(f => f.Key).ToArray();
            await Shoal.Tests.Resilience.Eventually.HoldsAsync(
                async () => (await Task.WhenAll(keys.Select(k => c.Client.StoryAsync(k)))).All(story => story.Count > 0),
                E2E.Timeout, "the scheduler knows all 20 tasks");
            // The worker may already hold low tasks (sent while the blocker ran): how many depends on its slots, which
            // cover the measured round trip (more under load). Those may run before the high ones; nothing else may.
            // Nothing finishes before the gate opens, so no task is placed between this count and the opening.
            var lowStories = await Task.WhenAll(low.Select(f => c.Client.StoryAsync(f)));
            int lowOnTheWorker = lowStories.Count(story => story.Any(t => t.Source == "scheduler" && t.To == "Processing"));
            Gates.Open(gate);
            await c.Client.GatherAsync(low.Concat(high)).WaitAsync(E2E.Timeout);
            await c.Client.GatherAsync(graph).WaitAsync(E2E.Timeout);
            var order = RunOrder[run].ToArray();
            order.Length.ShouldBe(10);
            var lastHigh = Array.FindLastIndex(order, label => label.StartsWith("high", StringComparison.Ordinal));
            order.Take(lastHigh).Count(label => label.StartsWith("low", StringComparison.Ordinal)).ShouldBeLessThanOrEqualTo(Math.Max(1, lowOnTheWorker), string.Join(",", order));
            var graphOrder = RunOrder[graphRun].ToArray();
            graphOrder.Take(5).ShouldAllBe(label => label.StartsWith("high", StringComparison.Ordinal), string.Join(",", graphOrder));
        }
        finally
        {
            Gates.Open(gate);
        }
    }

    [Fact]
    public async Task A_delayed_tree_reduction_of_a_thousand_leaves_computes_the_sum()
    {
        await using var c = await InProcessCluster.StartAsync();
        var level = Enumerable.Range(0, 1000).Select(static i => Delayed.Call(static (int x) => x, i)).ToList();
        while (level.Count > 1)
        {
            var next = new List<Delayed<int>>();
            for (var i = 0; i < level.Count; i += 2)
            {
                next.Add(i + 1 < level.Count ? Delayed.Call(static (int a, int b) => a + b, level[i], level[i + 1]) : level[i]);
            }

            level = next;
        }

        (await c.Client.ComputeAsync(level[0]).WaitAsync(E2E.Timeout)).ShouldBe(499_500);
        (await level[0].ComputeAsync(c.Client).WaitAsync(E2E.Timeout)).ShouldBe(499_500);
    }

    [Fact]
    public async Task A_five_thousand_link_dependency_chain_completes()
    {
        await using var c = await InProcessCluster.StartAsync();
        var link = c.Client.Submit(static () => 0);
        for (var i = 0; i < 5000; i++) link = c.Client.Submit(static (int x) => x + 1, link);
        (await link.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(5000);
    }

    [Fact]
    public async Task Disposed_futures_are_forgotten_by_the_scheduler()
    {
        await using var c = await InProcessCluster.StartAsync();
        var futures = c.Client.Map(static (int x) => x + 1, Enumerable.Range(0, 200));
        var total = c.Client.Submit(static (int[] v) => v.Sum(), futures);
        (await total.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(20_100);
        (await c.Client.GetClusterInfoAsync().WaitAsync(E2E.Timeout)).Tasks.ShouldBeGreaterThan(0);
        foreach (var f in futures) f.Dispose();
        total.Dispose();
        var forgotten = await E2E.PollAsync(async () => (await c.Client.GetClusterInfoAsync()).Tasks == 0, E2E.Timeout);
        forgotten.ShouldBeTrue($"the scheduler still holds {(await c.Client.GetClusterInfoAsync()).Tasks} tasks");
    }

    [Fact]
    public async Task A_disconnecting_client_releases_everything_it_held()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1 }).WaitAsync(E2E.Timeout);
        await using var observer = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        await using (var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout))
        {
            var held = client.Map(static (int x) => x, Enumerable.Range(0, 50));
            await client.GatherAsync(held).WaitAsync(E2E.Timeout);
            (await observer.GetClusterInfoAsync()).Tasks.ShouldBe(50);
        }

        (await E2E.PollAsync(async () => (await observer.GetClusterInfoAsync()).Tasks == 0, E2E.Timeout)).ShouldBeTrue();
    }
}

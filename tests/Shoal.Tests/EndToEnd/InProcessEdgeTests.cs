namespace Shoal.Tests.EndToEnd;

/// <summary>Less travelled paths on an in-process LocalCluster: scaling, cancel after finishing, disposal, odd results.</summary>
public sealed class InProcessEdgeTests
{
    [Fact]
    public async Task Scaling_up_and_down_keeps_results_reachable()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 1, threads: 1);
        await c.Cluster.ScaleAsync(3).WaitAsync(E2E.Timeout);
        (await c.Client.GetClusterInfoAsync()).Workers.Count.ShouldBe(3);
        var spread = c.Client.Map(static (int x) => x * 3, Enumerable.Range(0, 300));
        (await c.Client.GatherAsync(spread).WaitAsync(E2E.Timeout)).Sum().ShouldBe(3 * 44_850);
        await c.Cluster.ScaleAsync(1).WaitAsync(E2E.Timeout);
        c.Cluster.WorkerCount.ShouldBe(1);
        (await E2E.PollAsync(async () => (await c.Client.GetClusterInfoAsync()).Workers.Count == 1, E2E.Timeout)).ShouldBeTrue();
        var total = c.Client.Submit(static (int[] v) => v.Sum(), spread);
        (await total.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(3 * 44_850);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Barrier> Barriers = new();

    /// <summary>Blocks its thread until all <paramref name="count"/> tasks of the run are running at once (or gives up).</summary>
    private static bool MeetTheOthers(string run, int count) =>
        Barriers.GetOrAdd(run, _ => new Barrier(count)).SignalAndWait(TimeSpan.FromSeconds(20)); // generous: a busy machine starts threads slowly; too few threads never meet at all

    [Fact]
    public async Task A_worker_runs_as_many_blocking_tasks_at_once_as_it_has_threads()
    {
        const int threads = 8;
        await using var c = await InProcessCluster.StartAsync(workers: 1, threads: threads);
        var run = Gates.NewName("barrier");
        var met = c.Client.Map(MeetTheOthers, Enumerable.Repeat(run, threads), Enumerable.Repeat(threads, threads), new SubmitOptions { Pure = false });
        (await c.Client.GatherAsync(met).WaitAsync(E2E.Timeout)).ShouldAllBe(m => m, "not all tasks could run at once");
    }

    [Fact]
    public async Task Cancelling_a_finished_future_completes_and_a_resubmission_runs_again()
    {
        await using var c = await InProcessCluster.StartAsync();
        var done = c.Client.Submit(static (int x) => x + 1, 1);
        (await done.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(2);
        await c.Client.CancelAsync(done).WaitAsync(E2E.Timeout);
        done.Status.ShouldBe(FutureStatus.Cancelled);
        done.Dispose();
        var again = c.Client.Submit(static (int x) => x + 1, 1);
        (await again.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(2);
    }

    [Fact]
    public async Task Cancelling_futures_of_another_client_leaves_them_alone()
    {
        await using var c = await InProcessCluster.StartAsync(workers: 1, threads: 1);
        await using var other = await Client.ConnectAsync(c.Cluster).WaitAsync(E2E.Timeout);
        var gate = Gates.NewName("shared");
        try
        {
            var mine = c.Client.Submit(WaitAtGate, gate);
            var theirs = other.Submit(WaitAtGate, gate);
            theirs.Key.ShouldBe(mine.Key);
            await Gates.Get(gate + "/started").Task.WaitAsync(E2E.Timeout);
            await c.Client.CancelAsync(mine).WaitAsync(E2E.Timeout);
            mine.Status.ShouldBe(FutureStatus.Cancelled);
            Gates.Open(gate);
            (await theirs.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(gate);
        }
        finally
        {
            Gates.Open(gate);
        }
    }

    private static async Task<string> WaitAtGate(string name)
    {
        Gates.Open(name + "/started");
        await Gates.Get(name).Task;
        return name;
    }

    [Fact]
    public async Task Null_results_exceptions_after_await_and_duplicate_futures_behave()
    {
        await using var c = await InProcessCluster.StartAsync();
        var nothing = c.Client.Submit(static () => (string?)null);
        (await nothing.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBeNull();
        var late = c.Client.Submit(static async () =>
        {
            await Task.Yield();
            throw new FormatException("after an await");
#pragma warning disable CS0162 // the return only gives the lambda its type
            return 0;
#pragma warning restore CS0162
        });
        var error = await Should.ThrowAsync<TaskException>(late.ResultAsync().WaitAsync(E2E.Timeout));
        error.RemoteTypeName.ShouldBe(typeof(FormatException).FullName);
        error.InnerException.ShouldBeOfType<FormatException>();
        var one = c.Client.Submit(static () => 1);
        (await c.Client.GatherAsync([one, one, one]).WaitAsync(E2E.Timeout)).ShouldBe([1, 1, 1]);
        one.Result.ShouldBe(1);
    }

    [Fact]
    public async Task A_disposed_client_refuses_new_work_and_cancels_what_it_held()
    {
        var c = await InProcessCluster.StartAsync();
        try
        {
            var gate = Gates.NewName("disposed");
            var pending = c.Client.Submit(WaitAtGate, gate);
            await c.Client.DisposeAsync();
            Gates.Open(gate);
            pending.Status.ShouldBe(FutureStatus.Cancelled);
            Should.Throw<ObjectDisposedException>(() => c.Client.Submit(static () => 1));
        }
        finally
        {
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task Disposing_the_cluster_under_a_connected_client_cancels_its_pending_futures()
    {
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1 }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var gate = Gates.NewName("cluster-gone");
        try
        {
            var pending = client.Submit(WaitAtGate, gate);
            var queued = client.Submit(static (string s) => s.Length, pending);
            await Gates.Get(gate + "/started").Task.WaitAsync(E2E.Timeout);
            await cluster.DisposeAsync().AsTask().WaitAsync(E2E.Timeout);
            using var timeout = new CancellationTokenSource(E2E.Timeout);
            (await E2E.CatchAsync(() => queued.ResultAsync(timeout.Token))).ShouldBeAssignableTo<OperationCanceledException>();
            timeout.IsCancellationRequested.ShouldBeFalse("the future hung");
            pending.Status.ShouldBe(FutureStatus.Cancelled);
        }
        finally
        {
            Gates.Open(gate);
        }
    }

    [Fact]
    public async Task A_lambda_is_judged_by_the_locals_it_uses_not_by_its_neighbours()
    {
        await using var c = await InProcessCluster.StartAsync();
        var log = new StringWriter();
        Action<string> note = line => log.WriteLine(line); // a neighbour capturing something that cannot travel
        note("submitting");
        var n = 41;
        (await c.Client.Submit(() => n + 1).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
    }

    [Fact]
    public async Task A_key_prefix_for_map_and_released_then_resubmitted_work_runs_again()
    {
        await using var c = await InProcessCluster.StartAsync();
        var prefix = Gates.NewName("square");
        var squares = c.Client.Map(static (int x) => x * x, Enumerable.Range(0, 5), new SubmitOptions { Key = prefix });
        squares.ShouldAllBe(f => f.Key.StartsWith(prefix, StringComparison.Ordinal));
        squares.Select(f => f.Key).Distinct().Count().ShouldBe(5);
        (await c.Client.GatherAsync(squares).WaitAsync(E2E.Timeout)).ShouldBe([0, 1, 4, 9, 16]);
        foreach (var f in squares) f.Dispose();
        (await E2E.PollAsync(async () => (await c.Client.GetClusterInfoAsync()).Tasks == 0, E2E.Timeout)).ShouldBeTrue();
        var again = c.Client.Map(static (int x) => x * x, Enumerable.Range(0, 5), new SubmitOptions { Key = prefix });
        (await c.Client.GatherAsync(again).WaitAsync(E2E.Timeout)).ShouldBe([0, 1, 4, 9, 16]);
    }
}

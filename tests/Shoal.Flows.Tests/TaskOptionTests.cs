using System.Collections.Concurrent;

namespace Shoal.Flows.Tests;

/// <summary>Retries, caching, persistence, timeouts, triggers, hooks, tags: in-process, where tasks can share state with the test.</summary>
public class TaskOptionTests
{
    private static readonly ConcurrentDictionary<string, int> Calls = new();

    private static int Count(string key) => Calls.AddOrUpdate(key, 1, (_, n) => n + 1);

    public sealed record Input
    {
        public string Key { get; init; } = "";
    }

    private static Flow<Input, T> OneTask<T>(FlowTask<string, T> task) =>
        Flow.Create($"one-{task.Name}", async (Input p) => await task.Submit(p.Key));

    [Fact]
    public async Task A_thrown_exception_is_retried_with_backoff_and_the_flow_completes()
    {
        var key = Guid.NewGuid().ToString();
        var flaky = FlowTask.Create("Flaky", static (string k) => Count(k) < 3 ? throw new IOException($"attempt {Calls[k]} failed") : Calls[k],
            new FlowTaskOptions { Retries = 3, RetryDelay = TimeSpan.FromMilliseconds(10), RetryBackoff = 2 });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());

        var result = await runner.RunAsync(OneTask(flaky), new Input { Key = key });

        result.State.ShouldBe(RunState.Completed, result.Error);
        result.Result.ShouldBe(3);
        var task = (await temp.Store.TaskRunsAsync(result.Id)).ShouldHaveSingleItem();
        task.Attempts.ShouldBe(3);
        (await temp.Store.StateChangesAsync(task.Id)).Select(c => c.State).ShouldBe(
            [RunState.Pending, RunState.Running, RunState.Retrying, RunState.Running, RunState.Retrying, RunState.Running, RunState.Completed]);
        (await temp.Store.StateChangesAsync(task.Id)).Where(c => c.State == RunState.Retrying).ShouldAllBe(c => c.Message!.Contains("System.IO.IOException"));
        (await temp.Store.LogsAsync(result.Id)).ShouldContain(l => l.Message.Contains("retry 2 of 3 in 00:00:00.0200000"));
    }

    [Fact]
    public async Task An_error_the_retry_filter_refuses_fails_at_once_with_its_type_as_cause()
    {
        var key = Guid.NewGuid().ToString();
        var failing = FlowTask.Create("Refused", static (string k) => { Count(k); return k.Length > 0 ? throw new ArgumentException("bad input") : 0; },
            new FlowTaskOptions { Retries = 5, RetryOn = e => e.Is<IOException>() });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());

        var result = await runner.RunAsync(OneTask(failing), new Input { Key = key });

        result.State.ShouldBe(RunState.Failed);
        result.Error!.ShouldContain("bad input");
        result.Cause.ShouldBe("System.ArgumentException");
        Calls[key].ShouldBe(1);
        var task = (await temp.Store.TaskRunsAsync(result.Id)).ShouldHaveSingleItem();
        task.State.ShouldBe(RunState.Failed);
        task.Cause.ShouldBe("System.ArgumentException");
    }

    [Fact]
    public async Task A_cache_hit_skips_the_task_and_changed_inputs_miss()
    {
        var key = Guid.NewGuid().ToString();
        var expensive = FlowTask.Create("Expensive", static (string k) => $"{k.Split('/')[0]}:{Count(k.Split('/')[0])}",
            new FlowTaskOptions { CacheExpiry = TimeSpan.FromHours(1) });
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-12-06T12:00:00Z"));
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess(), new FlowRunnerOptions { TimeProvider = time });
        var flow = OneTask(expensive);

        var first = await runner.RunAsync(flow, new Input { Key = key });
        var second = await runner.RunAsync(flow, new Input { Key = key });
        var other = await runner.RunAsync(flow, new Input { Key = key + "/other" });
        time.Advance(TimeSpan.FromHours(2));
        var expired = await runner.RunAsync(flow, new Input { Key = key });

        first.Result.ShouldBe($"{key}:1");
        second.Result.ShouldBe($"{key}:1"); // from the cache: the task did not run again
        other.Result.ShouldBe($"{key}:2");
        expired.Result.ShouldBe($"{key}:3"); // past its expiry: run again
        (await temp.Store.TaskRunsAsync(first.Id)).Single().State.ShouldBe(RunState.Completed);
        var cached = (await temp.Store.TaskRunsAsync(second.Id)).Single();
        cached.State.ShouldBe(RunState.Cached);
        cached.Attempts.ShouldBe(0);
        (await temp.Store.TaskRunsAsync(expired.Id)).Single().State.ShouldBe(RunState.Completed);
    }

    [Fact]
    public async Task Results_are_persisted_to_the_result_store()
    {
        var saved = FlowTask.Create("Saved", static (string k) => k.ToUpperInvariant(), new FlowTaskOptions { PersistResult = true });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());
        var result = await runner.RunAsync(OneTask(saved), new Input { Key = "abc" });
        var task = (await temp.Store.TaskRunsAsync(result.Id)).Single();
        var (found, value) = await temp.Results.TryReadAsync<string>(task.Id.ToString("N"), DateTimeOffset.UtcNow);
        found.ShouldBeTrue();
        value.ShouldBe("ABC");
    }

    [Fact]
    public async Task A_task_that_stops_at_its_token_times_out_cooperatively()
    {
        var slow = FlowTask.Create("Slow", static async (string k, CancellationToken ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return k;
        }, new FlowTaskOptions { Timeout = TimeSpan.FromMilliseconds(200), Retries = 2 });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());

        var result = await runner.RunAsync(OneTask(slow), new Input { Key = "k" });

        result.State.ShouldBe(RunState.Failed);
        var task = (await temp.Store.TaskRunsAsync(result.Id)).Single();
        task.State.ShouldBe(RunState.TimedOut);
        task.Cause!.ShouldStartWith("cooperative timeout");
        task.Attempts.ShouldBe(1);
    }

    private static readonly TaskCompletionSource WatcherStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly TaskCompletionSource WatcherStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task Cancelling_the_flow_run_trips_the_token_of_its_running_task_even_without_a_timeout()
    {
        var watcher = FlowTask.Create("Watcher", static async (string k, CancellationToken ct) =>
        {
            WatcherStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            finally
            {
                WatcherStopped.TrySetResult();
            }

            return k;
        });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());
        using var cancel = new CancellationTokenSource();
        var run = runner.RunAsync(OneTask(watcher), new Input { Key = "k" }, cancel.Token);
        await WatcherStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await cancel.CancelAsync();
        await WatcherStopped.Task.WaitAsync(TimeSpan.FromSeconds(60));
        (await run.WaitAsync(TimeSpan.FromSeconds(60))).State.ShouldBe(RunState.Cancelled);
    }

    private static readonly ManualResetEventSlim Stuck = new();

    [Fact]
    public async Task A_task_that_ignores_its_token_times_out_hard_and_in_process_its_thread_is_abandoned()
    {
        var stubborn = FlowTask.Create("Stubborn", static (string k) =>
        {
            Stuck.Wait(); // ignores every token
            return k;
        }, new FlowTaskOptions { Timeout = TimeSpan.FromMilliseconds(100), TimeoutGrace = TimeSpan.FromMilliseconds(100) });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());
        try
        {
            var result = await runner.RunAsync(OneTask(stubborn), new Input { Key = "k" });
            result.State.ShouldBe(RunState.Failed);
            var task = (await temp.Store.TaskRunsAsync(result.Id)).Single();
            task.State.ShouldBe(RunState.TimedOut);
            task.Cause!.ShouldStartWith("hard timeout");
            task.Cause.ShouldContain("thread was abandoned");
        }
        finally
        {
            Stuck.Set();
        }
    }

    [Fact]
    public async Task Triggers_and_hooks_decide_what_runs_after_a_failure()
    {
        var boom = FlowTask.Create("Boom", static (int x) => x > 0 ? throw new InvalidOperationException("boom") : x);
        var next = FlowTask.Create("Next", static (int x) => x + 1);
        var completed = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<string>();
        var allHooks = new CountdownEvent(3);
        var cleanup = FlowTask.Create("Cleanup", static (int x) => -x, new FlowTaskOptions
        {
            Trigger = TaskTrigger.AnyFailed,
            OnCompletion = i => { completed.Enqueue(i.Name); allHooks.Signal(); return Task.CompletedTask; },
        });
        var always = FlowTask.Create("Always", static (int x) => x, new FlowTaskOptions { Trigger = TaskTrigger.Always });
        var notNeeded = FlowTask.Create("NotNeeded", static (int x) => x, new FlowTaskOptions
        {
            Trigger = TaskTrigger.AnyFailed,
            OnFailure = i => { failures.Enqueue($"{i.Name}:{i.State}:{i.Cause}"); allHooks.Signal(); return Task.CompletedTask; },
        });
        var withHook = FlowTask.Create("Hooked", static (int x) => x > 0 ? throw new InvalidOperationException("hooked") : x, new FlowTaskOptions
        {
            OnFailure = i => { failures.Enqueue($"{i.Name}:{i.State}"); allHooks.Signal(); return Task.CompletedTask; },
        });
        var flow = Flow.Create("triggers", async (TaskOptionTests.Input _) =>
        {
            var failed = boom.Submit(1);
            var ok = boom.Submit(0);
            var skipped = next.Submit(failed);
            var cleaned = cleanup.Submit(5, failed);
            var anyway = always.Submit(7, failed, skipped);
            var notRun = notNeeded.Submit(1, ok);
            var hooked = withHook.Submit(1);
            await Task.WhenAll(skipped.Settled, cleaned.Settled, anyway.Settled, notRun.Settled, hooked.Settled);
            skipped.State.ShouldBe(RunState.Failed);
            skipped.Cause.ShouldBe("trigger AllSucceeded not met");
            (await cleaned).ShouldBe(-5);
            (await anyway).ShouldBe(7);
            notRun.State.ShouldBe(RunState.Failed);
            notRun.Cause.ShouldBe("trigger AnyFailed not met");
            return 0;
        });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());
        var result = await runner.RunAsync(flow, new Input());
        result.State.ShouldBe(RunState.Completed, result.Error);
        allHooks.Wait(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        completed.ShouldBe(["Cleanup-0"]);
        failures.Order().ShouldBe(["Hooked-0:Failed", "NotNeeded-0:Failed:trigger AnyFailed not met"]);
    }

    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();

    [Fact]
    public async Task Tags_ask_workers_for_resources_and_count_against_concurrency_limits()
    {
        var id = Guid.NewGuid().ToString("N");
        Gates[id] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gpu = FlowTask.Create("OnGpu", static async (string k, CancellationToken ct) =>
        {
            if (k.EndsWith("-first", StringComparison.Ordinal)) await Gates[k[..^6]].Task.WaitAsync(ct);
            return k;
        }, new FlowTaskOptions { Tags = ["gpu"] });
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Workers = 1, ThreadsPerWorker = 4, Resources = new Dictionary<string, double> { ["GPU"] = 2 },
        });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.Cluster(cluster), new FlowRunnerOptions
        {
            TagResources = new Dictionary<string, IReadOnlyDictionary<string, double>> { ["gpu"] = new Dictionary<string, double> { ["GPU"] = 1 } },
            ConcurrencyLimits = new Dictionary<string, int> { ["gpu"] = 1 },
        });
        var flow = Flow.Create("tags", async (Input p) =>
        {
            var first = gpu.Submit($"{p.Key}-first");
            var second = gpu.Submit($"{p.Key}-second");
            while (first.State != RunState.Running) await Task.Yield();
            // The limit of one holds the second back while the first runs, though the worker has GPU and threads to spare.
            second.State.ShouldBe(RunState.Pending);
            Gates[p.Key].SetResult();
            return $"{await first} {await second}";
        });

        var result = await runner.RunAsync(flow, new Input { Key = id });
        result.Result.ShouldBe($"{id}-first {id}-second", result.Error);
        runner.ResourcesFor(["gpu", "other"]).ShouldBe(new Dictionary<string, double> { ["GPU"] = 1 });
        runner.ResourcesFor(["other"]).ShouldBeNull();
    }
}

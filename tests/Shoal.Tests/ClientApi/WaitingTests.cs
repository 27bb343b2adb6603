using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.ClientApi;

/// <summary>
/// Waiting without fetching, as-completed sets (added to while iterating, in batches, with results), waiting for
/// workers, and the future extras (exception without throwing, callbacks, the client's futures), on real worker
/// processes that never saw this assembly.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class WaitingTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task WaitAsync_returns_done_and_not_done_for_each_condition_without_fetching()
    {
        await using var client = await cluster.ConnectAsync();
        var fast = client.Map(static (int x) => x * 3, Enumerable.Range(0, 20));
        var stuck = client.Submit(static () => -1, Pending.NowhereToRun);
        var failing = client.Submit(static (int x) => x > 0 ? throw new ArgumentException("bad " + x) : x, 7);

        var all = await client.WaitAsync(fast, WaitFor.AllCompleted, E2E.Timeout);
        all.Done.Count.ShouldBe(20);
        all.NotDone.ShouldBeEmpty();
        all.Done.ShouldBe(fast, "in the order given");
        fast.ShouldAllBe(f => f.Status == FutureStatus.Finished);
        fast.ShouldAllBe(f => !f.Entry!.HasValue, "waiting fetches no result");

        Future[] mixed = [stuck, failing, .. fast];
        var first = await client.WaitAsync(mixed, WaitFor.FirstCompleted, E2E.Timeout);
        first.Done.ShouldNotBeEmpty();
        first.NotDone.ShouldContain(stuck);

        var firstError = await client.WaitAsync([stuck, failing], WaitFor.FirstException, E2E.Timeout);
        firstError.Done.ShouldBe([failing]);
        firstError.NotDone.ShouldBe([stuck]);
        failing.Status.ShouldBe(FutureStatus.Error);

        var timeout = await E2E.CatchAsync(() => client.WaitAsync(mixed, WaitFor.AllCompleted, TimeSpan.FromMilliseconds(200)));
        timeout.ShouldBeOfType<TimeoutException>();
        timeout.Message.ShouldContain("21 done, 1 still pending");

        await client.CancelAsync(stuck).WaitAsync(E2E.Timeout);
        (await client.WaitAsync(mixed, WaitFor.AllCompleted, E2E.Timeout)).NotDone.ShouldBeEmpty("a cancelled future is done");
    }

    [Fact]
    public async Task An_as_completed_set_takes_futures_added_while_iterating_and_yields_each_once()
    {
        await using var client = await cluster.ConnectAsync();
        var set = client.AsCompletedSet(client.Map(static (int x) => x, Enumerable.Range(0, 10)));
        var seen = new List<int>();
        var added = false;
        await foreach (var future in set.WithCancellation(new CancellationTokenSource(E2E.Timeout).Token))
        {
            seen.Add(await future);
            if (!added)
            {
                // Added while iterating: yielded by the same loop.
                set.Update(client.Map(static (int x) => x, Enumerable.Range(100, 5)));
                set.Add(client.Submit(static (int x) => x, 1000));
                added = true;
            }
        }

        seen.Order().ShouldBe([.. Enumerable.Range(0, 10), .. Enumerable.Range(100, 5), 1000]);
        set.Count.ShouldBe(0);
    }

    [Fact]
    public async Task An_as_completed_set_yields_in_batches_and_with_results()
    {
        await using var client = await cluster.ConnectAsync();
        var futures = client.Map(static (int x) => x * x, Enumerable.Range(0, 200));
        await client.WaitAsync(futures, WaitFor.AllCompleted, E2E.Timeout);
        var batches = new List<IReadOnlyList<Future<int>>>();
        await foreach (var batch in client.AsCompletedSet(futures).BatchesAsync(new CancellationTokenSource(E2E.Timeout).Token)) batches.Add(batch);
        batches.Count.ShouldBe(1, "all 200 had completed: one batch");
        batches[0].Count.ShouldBe(200);

        var results = new Dictionary<string, int>();
        await foreach (var (future, result) in client.AsCompletedWithResults(client.Map(static (int x) => x + 1, Enumerable.Range(0, 100)), new CancellationTokenSource(E2E.Timeout).Token))
        {
            future.Status.ShouldBe(FutureStatus.Finished);
            results[future.Key] = result;
        }

        results.Values.Order().ShouldBe(Enumerable.Range(1, 100));

        var failing = client.Submit(static (int x) => x > 0 ? throw new ArgumentException("no " + x) : x, 3);
        var error = await E2E.CatchAsync(async () =>
        {
            await foreach (var _ in client.AsCompletedWithResults([failing])) { }
        });
        error.ShouldBeOfType<TaskException>().RemoteMessage.ShouldBe("no 3");
    }

    [Fact]
    public async Task WaitForWorkersAsync_with_a_timeout_names_the_workers_that_came()
    {
        await using var client = await cluster.ConnectAsync();
        await client.WaitForWorkersAsync(2, E2E.Timeout);
        var error = await E2E.CatchAsync(() => client.WaitForWorkersAsync(5, TimeSpan.FromMilliseconds(300)));
        error.ShouldBeOfType<TimeoutException>();
        error.Message.ShouldContain("for 5 workers");
        error.Message.ShouldContain("2 connected");
        foreach (var name in cluster.WorkerNames) error.Message.ShouldContain(name);
    }

    [Fact]
    public async Task ExceptionAsync_gives_the_remote_exception_and_stack_without_throwing()
    {
        await using var client = await cluster.ConnectAsync();
        var failing = client.Submit(static (string s) => s.Length > 0 ? throw new FormatException("cannot read " + s) : 0, "abc");
        var error = (await failing.ExceptionAsync().WaitAsync(E2E.Timeout)).ShouldNotBeNull();
        error.RemoteTypeName.ShouldBe(typeof(FormatException).FullName);
        error.RemoteMessage.ShouldBe("cannot read abc");
        error.RemoteStackTrace.ShouldNotBeNullOrWhiteSpace();
        error.Key.ShouldBe(failing.Key);

        var fine = client.Submit(static (string s) => s.Length, "abcd");
        (await fine.ExceptionAsync().WaitAsync(E2E.Timeout)).ShouldBeNull();

        var stuck = client.Submit(static () => 0, Pending.NowhereToRun);
        await client.CancelAsync(stuck).WaitAsync(E2E.Timeout);
        (await E2E.CatchAsync(() => stuck.ExceptionAsync())).ShouldBeAssignableTo<OperationCanceledException>();
    }

    [Fact]
    public async Task Completion_callbacks_run_once_the_task_completes_and_at_once_when_it_has()
    {
        await using var client = await cluster.ConnectAsync();
        var stuck = client.Submit(static () => 0, Pending.NowhereToRun);
        var called = new TaskCompletionSource<Future>(TaskCreationOptions.RunContinuationsAsynchronously);
        stuck.OnCompleted(f => called.TrySetResult(f));
        called.Task.IsCompleted.ShouldBeFalse();
        await client.CancelAsync(stuck).WaitAsync(E2E.Timeout);
        (await called.Task.WaitAsync(E2E.Timeout)).ShouldBeSameAs(stuck);

        var done = client.Submit(static (int x) => x + 1, 1);
        await done.ResultAsync().WaitAsync(E2E.Timeout);
        var late = new TaskCompletionSource<FutureStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        done.OnCompleted(f => late.TrySetResult(f.Status));
        (await late.Task.WaitAsync(E2E.Timeout)).ShouldBe(FutureStatus.Finished);

        var continued = await client.Submit(static (int x) => x * 10, 4).ContinueWith(async f => await f + 1).WaitAsync(E2E.Timeout);
        continued.ShouldBe(41);
    }

    [Fact]
    public async Task Futures_lists_what_the_client_holds_and_forgets_released_keys()
    {
        await using var client = await cluster.ConnectAsync();
        var a = client.Submit(static (int x) => x, 11);
        var b = client.Submit(static () => 0, Pending.NowhereToRun);
        await a.ResultAsync().WaitAsync(E2E.Timeout);
        var held = client.Futures;
        held[a.Key].ShouldBe(FutureStatus.Finished);
        held[b.Key].ShouldBe(FutureStatus.Pending);
        b.Dispose();
        client.Futures.ContainsKey(b.Key).ShouldBeFalse();
        client.Futures.ContainsKey(a.Key).ShouldBeTrue();
        GC.KeepAlive(a);
    }

    [Fact]
    public async Task RetryAsync_runs_an_erred_task_and_the_failed_dependency_again()
    {
        await using var client = await cluster.ConnectAsync();
        var path = Path.Combine(Path.GetTempPath(), $"shoal-retry-{Guid.NewGuid():N}");
        try
        {
            var read = client.Submit(static (string p) => File.Exists(p) ? 41 : throw new FileNotFoundException("not yet: " + p), path);
            var plusOne = client.Submit(static (int x) => x + 1, read);
            (await plusOne.ExceptionAsync().WaitAsync(E2E.Timeout)).ShouldNotBeNull().RemoteTypeName.ShouldBe(typeof(FileNotFoundException).FullName);
            read.Status.ShouldBe(FutureStatus.Error);

            await File.WriteAllTextAsync(path, "now");
            await plusOne.RetryAsync().WaitAsync(E2E.Timeout);
            plusOne.Status.ShouldBe(FutureStatus.Pending, "pending again at once");
            (await plusOne.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
            (await read.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(41, "the failed dependency ran again with it");

            var fine = client.Submit(static (int x) => x, 5);
            await fine.ResultAsync().WaitAsync(E2E.Timeout);
            await fine.RetryAsync().WaitAsync(E2E.Timeout);
            fine.Status.ShouldBe(FutureStatus.Finished, "a future that did not err is left alone");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task An_erred_task_is_recreated_locally_with_its_inputs_and_throws_its_own_exception_here()
    {
        await using var client = await cluster.ConnectAsync();
        var input = client.Submit(static (int x) => x * 2, 21);
        var failing = client.Submit(static (int x) => 100 / (x - 42), input);
        var dependent = client.Submit(static (int x) => x + 1, failing);
        (await dependent.ExceptionAsync().WaitAsync(E2E.Timeout)).ShouldNotBeNull().RemoteTypeName.ShouldBe(typeof(DivideByZeroException).FullName);

        // The task that raised runs here (with the input fetched from its worker), so the debugger would stop in it.
        var error = await E2E.CatchAsync(() => client.RecreateErrorLocallyAsync(dependent).WaitAsync(E2E.Timeout));
        error.ShouldBeOfType<DivideByZeroException>(error.ToString());
        error.StackTrace.ShouldNotBeNull().ShouldContain(typeof(WaitingTests).FullName!);
        GC.KeepAlive(input); // held to here: an input nobody holds is released when its dependent errs

        // Without a future for the input, it was released: a clear error at once, not a wait.
        var lone = client.Submit(static (int x) => 100 / (x - 42), client.Submit(static (int x) => x * 2, 21, new SubmitOptions { Pure = false }));
        await lone.ExceptionAsync().WaitAsync(E2E.Timeout);
        string? refusal = null;
        (await E2E.PollAsync(async () =>
        {
            // The release of the unreferenced input reaches the scheduler when the collector finalises its future.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            try
            {
                await client.RecreateErrorLocallyAsync(lone).WaitAsync(E2E.Timeout);
                return false;
            }
            catch (DivideByZeroException)
            {
                return false; // not released yet: it ran here
            }
            catch (InvalidOperationException e)
            {
                refusal = e.Message;
                return true;
            }
        }, E2E.Timeout)).ShouldBeTrue();
        refusal.ShouldNotBeNull().ShouldContain("no longer in memory");

        var fine = client.Submit(static (int x) => x, 3);
        await fine.ResultAsync().WaitAsync(E2E.Timeout);
        (await E2E.CatchAsync(() => client.RecreateErrorLocallyAsync(fine))).ShouldBeOfType<InvalidOperationException>().Message.ShouldContain("did not err");
    }
}

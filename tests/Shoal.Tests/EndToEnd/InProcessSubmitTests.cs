using System.Collections.Concurrent;

namespace Shoal.Tests.EndToEnd;

/// <summary>Submitting work to an in-process LocalCluster: arguments, closures, futures, keys, retries, errors.</summary>
public sealed class InProcessSubmitTests
{
    /// <summary>How many times each test-unique id's task body ran.</summary>
    private static readonly ConcurrentDictionary<string, int> Executions = new();

    private static int CountExecution(string id)
    {
        Executions.AddOrUpdate(id, 1, static (_, n) => n + 1);
        return id.Length;
    }

    [Fact]
    public async Task Submit_runs_a_delegate_with_values_and_returns_its_result()
    {
        await using var c = await InProcessCluster.StartAsync();
        var none = c.Client.Submit(static () => 41 + 1);
        var two = c.Client.Submit(static (int a, string b) => b + a, 7, "x");
        var four = c.Client.Submit(static (int a, int b, int d, long e) => a + b + d + e, 1, 2, 3, 4L);
        (await none.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
        (await two.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe("x7");
        (await four.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(10L);
        none.Status.ShouldBe(FutureStatus.Finished);
    }

    [Fact]
    public async Task Map_then_reduce_over_ten_thousand_items_gives_the_issue_total()
    {
        await using var c = await InProcessCluster.StartAsync();
        var ys = c.Client.Map(static (int x) => x * 2, Enumerable.Range(0, 10_000));
        var total = c.Client.Submit(static (int[] v) => v.Sum(), ys);
        (await total.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(99_990_000);
        (await c.Client.GatherAsync(ys).WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 10_000).Select(x => x * 2).ToArray());
    }

    [Fact]
    public async Task Lambdas_capture_locals_from_nested_scopes_and_other_lambdas()
    {
        await using var c = await InProcessCluster.StartAsync();
        var factor = 3;
        var futures = new List<Future<int>>();
        for (var i = 0; i < 5; i++)
        {
            var offset = 10 * i;
            {
                var inner = i;
                Func<int, int> scale = x => x * factor;
                futures.Add(c.Client.Submit(() => scale(inner) + offset));
            }
        }

        var results = await c.Client.GatherAsync(futures).WaitAsync(E2E.Timeout);
        results.ShouldBe([0, 13, 26, 39, 52]);
    }

    [Fact]
    public async Task Captured_futures_are_dependencies_resolved_on_the_worker()
    {
        await using var c = await InProcessCluster.StartAsync();
        var client = c.Client;
        var a = client.Submit(() => 1);
        var b = client.Submit(() => a.Result + 1);
        var d = client.Submit(async () => await a + await b + 10);
        (await b.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(2);
        (await d.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(13);
    }

    [Fact]
    public async Task Futures_in_arrays_lists_and_mixed_arguments_are_dependencies()
    {
        await using var c = await InProcessCluster.StartAsync();
        var client = c.Client;
        var parts = client.Map(static (int x) => x * x, Enumerable.Range(1, 4));
        var asArray = client.Submit(static (int[] v) => v.Sum(), parts);
        var asList = client.Submit(static (List<int> v) => v.Count * 100 + v.Sum(), parts.ToList());
        var mixed = client.Submit(static (int x, int y) => x - y, (Arg<int>)asArray, (Arg<int>)5);
        var captured = parts.ToList();
        var viaCapture = client.Submit(() => captured.Sum(f => f.Result));
        (await asArray.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(30);
        (await asList.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(430);
        (await mixed.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(25);
        (await viaCapture.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(30);
    }

    [Fact]
    public async Task Async_delegates_are_awaited_on_the_worker()
    {
        await using var c = await InProcessCluster.StartAsync();
        var plain = c.Client.Submit(static async () =>
        {
            await Task.Yield();
            return "async";
        });
        var withArg = c.Client.Submit(static async (int x) =>
        {
            await Task.Delay(1);
            return x * 2;
        }, 21);
        var mapped = c.Client.Map(static async (int x) =>
        {
            await Task.Yield();
            return x + 1;
        }, Enumerable.Range(0, 10));
        (await plain.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe("async");
        (await withArg.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
        (await c.Client.GatherAsync(mapped).WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(1, 10).ToArray());
    }

    [Fact]
    public async Task Identical_submissions_share_one_key_and_run_once()
    {
        await using var c = await InProcessCluster.StartAsync();
        var id = Gates.NewName("pure");
        var first = c.Client.Submit(CountExecution, id);
        var second = c.Client.Submit(CountExecution, id);
        second.Key.ShouldBe(first.Key);
        (await first.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(id.Length);
        var third = c.Client.Submit(CountExecution, id);
        third.Key.ShouldBe(first.Key);
        (await third.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(id.Length);
        (await second.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(id.Length);
        Executions[id].ShouldBe(1);
        c.Client.Submit(CountExecution, id + "-other").Key.ShouldNotBe(first.Key);
    }

    [Fact]
    public async Task Impure_submissions_get_distinct_keys_and_run_each_time()
    {
        await using var c = await InProcessCluster.StartAsync();
        var id = Gates.NewName("impure");
        var options = new SubmitOptions { Pure = false };
        var first = c.Client.Submit(CountExecution, id, options);
        var second = c.Client.Submit(CountExecution, id, options);
        second.Key.ShouldNotBe(first.Key);
        await c.Client.GatherAsync([first, second]).WaitAsync(E2E.Timeout);
        Executions[id].ShouldBe(2);
    }

    [Fact]
    public async Task An_explicit_key_names_the_task()
    {
        await using var c = await InProcessCluster.StartAsync();
        var key = Gates.NewName("my-key");
        var future = c.Client.Submit(static () => 5, new SubmitOptions { Key = key });
        future.Key.ShouldBe(key);
        (await future.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(5);
    }

    private static readonly ConcurrentDictionary<string, int> Attempts = new();

    private static int FailTwiceThenSucceed(string id)
    {
        var attempt = Attempts.AddOrUpdate(id, 1, static (_, n) => n + 1);
        if (attempt <= 2) throw new InvalidOperationException($"flaky attempt {attempt}");
        return attempt;
    }

    [Fact]
    public async Task Retries_rerun_a_flaky_task_until_it_succeeds_or_runs_out()
    {
        await using var c = await InProcessCluster.StartAsync();
        var enough = Gates.NewName("retry-enough");
        var tooFew = Gates.NewName("retry-few");
        var succeeds = c.Client.Submit(FailTwiceThenSucceed, enough, new SubmitOptions { Retries = 2 });
        var fails = c.Client.Submit(FailTwiceThenSucceed, tooFew, new SubmitOptions { Retries = 1 });
        (await succeeds.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(3);
        var error = await Should.ThrowAsync<TaskException>(fails.ResultAsync().WaitAsync(E2E.Timeout));
        error.RemoteMessage.ShouldBe("flaky attempt 2");
        Attempts[tooFew].ShouldBe(2);
        fails.Status.ShouldBe(FutureStatus.Error);
    }

    private static int ThrowFromNamedMethod(int x) => throw new ArgumentOutOfRangeException(nameof(x), x, "the answer is not allowed");

    [Fact]
    public async Task A_task_exception_is_rethrown_with_remote_type_message_and_stack()
    {
        await using var c = await InProcessCluster.StartAsync();
        var future = c.Client.Submit(ThrowFromNamedMethod, 42);
        var error = await Should.ThrowAsync<TaskException>(future.ResultAsync().WaitAsync(E2E.Timeout));
        error.RemoteTypeName.ShouldBe(typeof(ArgumentOutOfRangeException).FullName);
        error.RemoteMessage.ShouldContain("the answer is not allowed");
        error.RemoteStackTrace.ShouldContain(nameof(ThrowFromNamedMethod));
        error.Key.ShouldBe(future.Key);
        error.Message.ShouldContain("ArgumentOutOfRangeException");
        future.Status.ShouldBe(FutureStatus.Error);

        // A dependent of a failed task fails with the same error, and gathering throws it too.
        var dependent = c.Client.Submit(static (int x) => x + 1, future);
        (await Should.ThrowAsync<TaskException>(dependent.ResultAsync().WaitAsync(E2E.Timeout))).RemoteMessage.ShouldContain("the answer is not allowed");
        await Should.ThrowAsync<TaskException>(c.Client.GatherAsync([future]).WaitAsync(E2E.Timeout));
    }

    private sealed class Holder
    {
        private readonly int _secretState = 5;

        public Future<int> SubmitCapturingThis(Client client) => client.Submit(() => _secretState + 1);
    }

    [Fact]
    public async Task A_closure_over_this_with_private_state_fails_at_submit_naming_the_field()
    {
        await using var c = await InProcessCluster.StartAsync();
        var error = Should.Throw<Shoal.ClosureCaptureException>(() => new Holder().SubmitCapturingThis(c.Client));
        error.Message.ShouldContain("_secretState");
        error.Message.ShouldContain(nameof(Holder));
    }
}

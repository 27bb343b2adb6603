using Microsoft.Extensions.Logging;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.ClientApi;

/// <summary>
/// Behaviour a Dask user relies on, on real worker processes that never saw this assembly (issue 13,
/// "Behaviour to fix"): cancel then resubmit, option checks (a lost scheduler: TcpValueAndLifecycleTests), other clients' futures,
/// large arguments, long error messages.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class ClientBehaviourTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task A_cancelled_pending_future_throws_and_resubmitting_the_same_key_runs_it_again()
    {
        await using var client = await cluster.ConnectAsync();
        var key = "cancel-resubmit-" + Guid.NewGuid().ToString("N");
        var stuck = client.Submit(static () => 41, Pending.NowhereToRun with { Key = key });
        await client.CancelAsync(stuck).WaitAsync(E2E.Timeout);
        stuck.Status.ShouldBe(FutureStatus.Cancelled);
        (await E2E.CatchAsync(() => stuck.ResultAsync())).ShouldBeAssignableTo<OperationCanceledException>();

        // Same key again, the old future still referenced: a new task, which runs.
        var again = client.Submit(static () => 42, new SubmitOptions { Key = key });
        again.Key.ShouldBe(stuck.Key);
        (await again.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
        // The old future stays cancelled, and releasing it does not release the new one.
        stuck.Status.ShouldBe(FutureStatus.Cancelled);
        stuck.Dispose();
        GC.KeepAlive(stuck);
        client.Futures.ContainsKey(key).ShouldBeTrue();
        (await client.GatherAsync([again]).WaitAsync(E2E.Timeout)).ShouldBe([42]);
    }

    [Fact]
    public async Task A_future_cancelled_after_its_value_was_fetched_throws_and_the_work_runs_again_when_resubmitted()
    {
        await using var client = await cluster.ConnectAsync();
        var seed = Random.Shared.Next(1_000_000);
        Func<int, int> twice = static s => s * 2;
        var done = client.Submit(twice, seed);
        (await done.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(seed * 2);
        await client.CancelAsync(done).WaitAsync(E2E.Timeout);
        var error = await E2E.CatchAsync(() => done.ResultAsync());
        error.ShouldBeAssignableTo<OperationCanceledException>();
        error.Message.ShouldContain(done.Key);

        var again = client.Submit(twice, seed);
        again.Key.ShouldBe(done.Key);
        (await again.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(seed * 2);
        var story = await client.StoryAsync(again.Key).WaitAsync(E2E.Timeout);
        story.Count(t => t.Source == "scheduler" && t.To == "Memory").ShouldBeGreaterThanOrEqualTo(2, "the resubmission ran the task again: " + string.Join("\n", story));
    }

    [Fact]
    public async Task Submitting_a_task_that_depends_on_a_cancelled_future_fails_at_once_naming_it()
    {
        await using var client = await cluster.ConnectAsync();
        var stuck = client.Submit(static () => 1, Pending.NowhereToRun);
        await client.CancelAsync(stuck).WaitAsync(E2E.Timeout);
        var dependent = client.Submit(static (int x) => x + 1, stuck);
        dependent.Status.ShouldBe(FutureStatus.Cancelled);
        var error = await E2E.CatchAsync(() => dependent.ResultAsync());
        error.ShouldBeAssignableTo<OperationCanceledException>();
        error.Message.ShouldContain(stuck.Key);
        error.Message.ShouldContain("cancelled");
    }

    [Fact]
    public async Task AllowOtherWorkers_without_Workers_is_refused_at_submit()
    {
        await using var client = await cluster.ConnectAsync();
        var error = Should.Throw<ArgumentException>(() => client.Submit(static () => 1, new SubmitOptions { AllowOtherWorkers = true }));
        error.Message.ShouldContain("AllowOtherWorkers");
        error.Message.ShouldContain("Workers");
        Should.Throw<ArgumentException>(() => client.Map(static (int x) => x, [1, 2], new SubmitOptions { AllowOtherWorkers = true, Workers = [] }));
        client.Futures.ShouldBeEmpty("nothing was submitted");
    }

    [Fact]
    public async Task A_future_of_another_client_is_refused_by_gather_wait_and_cancel()
    {
        await using var first = await cluster.ConnectAsync();
        await using var second = await cluster.ConnectAsync();
        var future = first.Submit(static () => 5);
        (await future.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(5);
        foreach (var attempt in new Func<Task>[]
                 {
                     () => second.GatherAsync([future]),
                     () => second.GatherAsync(future),
                     () => second.WaitAsync([future]),
                     () => second.CancelAsync(future),
                 })
        {
            var error = await E2E.CatchAsync(attempt);
            error.ShouldBeOfType<InvalidOperationException>();
            error.Message.ShouldContain("belongs to another client");
            error.Message.ShouldContain(future.Key);
        }

        future.Status.ShouldBe(FutureStatus.Finished, "the refused cancel changed nothing");
    }

    [Fact]
    public async Task A_large_argument_value_draws_the_warning_that_suggests_scatter_once()
    {
        var log = new StringWriter();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new Shoal.Hosting.TextWriterLoggerProvider(TextWriter.Synchronized(log), LogLevel.Warning)));
        await using var client = await Client.ConnectAsync(cluster.SchedulerAddress, new ClientOptions { LoggerFactory = loggers }).WaitAsync(E2E.Timeout);
        (await client.Submit(static (int[] v) => v.Length, new[] { 1, 2, 3 }).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(3);
        log.ToString().ShouldNotContain("ScatterAsync");

        var big = new long[1_000_000]; // 8 MB
        big[^1] = 3;
        Func<long[], long> last = static v => v[^1];
        (await client.Submit(last, big).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(3L);
        big[^1] = 4;
        (await client.Submit(last, big).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(4L);
        var warnings = log.ToString();
        warnings.ShouldContain("argument 0");
        warnings.ShouldContain("ScatterAsync");
        (warnings.Split("ScatterAsync").Length - 1).ShouldBe(1, "one warning per function and argument, not per submission");
    }

    [Fact]
    public async Task A_long_task_error_message_is_truncated_in_Message_and_whole_in_RemoteMessage()
    {
        await using var client = await cluster.ConnectAsync();
        var failing = client.Submit(static (int n) => n > 0 ? throw new InvalidOperationException(new string('x', n) + "END") : 0, 50_000);
        var error = await Should.ThrowAsync<TaskException>(failing.ResultAsync().WaitAsync(E2E.Timeout));
        error.RemoteMessage.Length.ShouldBe(50_003);
        error.RemoteMessage.ShouldEndWith("END");
        error.Message.Length.ShouldBeLessThan(TaskException.MaxMessageLength + 300);
        error.Message.ShouldContain("more characters in RemoteMessage");
        error.Message.ShouldContain(failing.Key);
    }
}

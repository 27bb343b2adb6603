using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.TasksOnCluster;

/// <summary>
/// A running task's <see cref="CancellationToken"/> is tripped on its worker when nobody wants it any more. Shown on
/// two single-threaded worker processes: tasks that only end when their token trips hold both threads, and a task
/// submitted after them runs only if they ended.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class CooperativeCancellationTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    private static async Task<int> WaitForCancellation(int id, CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return id;
    }

    /// <summary>Submits one never-ending task per worker thread and waits until both run.</summary>
    private static async Task<Future<int>[]> OccupyBothWorkersAsync(Client client)
    {
        var fresh = new SubmitOptions { Pure = false };
        var blockers = new[] { client.Submit<int, int>(WaitForCancellation, 1, fresh), client.Submit<int, int>(WaitForCancellation, 2, fresh) };
        await WaitUntilExecutingAsync(client, blockers);
        return blockers;
    }

    /// <summary>Waits until a worker's story of each task says it executes there.</summary>
    private static async Task WaitUntilExecutingAsync(Client client, params Future[] tasks)
    {
        foreach (var task in tasks)
        {
            (await E2E.PollAsync(async () => (await client.StoryAsync(task)).Any(t => t.Source != "scheduler" && t.To.Equals("executing", StringComparison.OrdinalIgnoreCase)), E2E.Timeout))
                .ShouldBeTrue($"{task.Key} did not start");
        }
    }

    private static async Task ShouldRunAnotherTaskAsync(Client client)
    {
        var probe = client.Submit(static (int x) => x * 3, 14, new SubmitOptions { Pure = false });
        (await probe.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
    }

    [Fact]
    public async Task CancelAsync_trips_the_token_of_running_tasks()
    {
        await using var client = await cluster.ConnectAsync();
        var blockers = await OccupyBothWorkersAsync(client);
        await client.CancelAsync(blockers).WaitAsync(E2E.Timeout);
        await ShouldRunAnotherTaskAsync(client);
        foreach (var blocker in blockers) (await E2E.CatchAsync(() => blocker.ResultAsync())).ShouldBeAssignableTo<OperationCanceledException>();
    }

    [Fact]
    public async Task The_client_leaving_trips_the_token_of_its_running_tasks()
    {
        await using (var leaving = await cluster.ConnectAsync())
        {
            await OccupyBothWorkersAsync(leaving);
        }

        await using var client = await cluster.ConnectAsync();
        await ShouldRunAnotherTaskAsync(client);
    }

    [Fact]
    public async Task The_token_is_also_in_the_worker_context_and_a_task_that_takes_none_gets_none_sent()
    {
        await using var client = await cluster.ConnectAsync();
        var fromContext = client.Submit(static async () =>
        {
            await Task.Delay(Timeout.Infinite, WorkerContext.CancellationToken);
            return 0;
        }, new SubmitOptions { Pure = false });
        var other = client.Submit(static async () =>
        {
            await Task.Delay(Timeout.Infinite, WorkerContext.CancellationToken);
            return 1;
        }, new SubmitOptions { Pure = false });
        await WaitUntilExecutingAsync(client, fromContext, other);
        await client.CancelAsync([fromContext, other]).WaitAsync(E2E.Timeout);
        await ShouldRunAnotherTaskAsync(client);
        WorkerContext.CancellationToken.CanBeCanceled.ShouldBeFalse(); // outside a task
    }
}

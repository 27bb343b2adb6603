using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.ClientApi;

/// <summary>
/// <see cref="Client.RestartAsync"/> and <see cref="Client.RestartWorkersAsync"/> on <c>shoal worker</c> processes under
/// their nannies: new worker processes come back under the same names, old futures end naming the restart, work runs.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class RestartTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task RestartAsync_gives_new_worker_processes_cancels_old_futures_naming_the_restart_and_work_runs_after()
    {
        await using var client = await cluster.ConnectAsync();
        await client.WaitForWorkersAsync(2, E2E.Timeout);
        var before = await PidsByNameAsync(client);
        var done = client.Submit(static (int x) => x * 2, 21);
        (await done.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
        var running = client.Submit(static () =>
        {
            Thread.Sleep(TimeSpan.FromMinutes(5)); // the task being run when the restart comes: ended with its process
            return 0;
        }, new SubmitOptions { Pure = false });
        // The restart must come while the task runs on its worker's thread: wait until the worker says it executes.
        (await E2E.PollAsync(async () => (await client.StoryAsync(running)).Any(t => t.Source != "scheduler" && t.To.Equals("executing", StringComparison.OrdinalIgnoreCase)), E2E.Timeout))
            .ShouldBeTrue("the long task never started executing");

        await using var other = await cluster.ConnectAsync(); // another client's futures are forgotten too
        var others = other.Submit(static (int x) => x * 3, 3);
        (await others.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(9);

        await client.RestartAsync().WaitAsync(E2E.Timeout);

        var after = await PidsByNameAsync(client);
        after.Keys.Order().ShouldBe(cluster.WorkerNames);
        foreach (var (name, pid) in after) pid.ShouldNotBe(before[name], $"worker {name} should be a new process");
        foreach (var future in new[] { done, running, others })
        {
            await Should.ThrowAsync<OperationCanceledException>(future.ResultAsync().WaitAsync(E2E.Timeout));
            future.Status.ShouldBe(FutureStatus.Cancelled);
            future.CancelReason.ShouldBe("cancelled: the cluster was restarted (Client.RestartAsync)");
        }
        (await client.GatherAsync(client.Map(static (int x) => x + 1, Enumerable.Range(0, 10))).WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(1, 10));
    }

    [Fact]
    public async Task RestartWorkersAsync_restarts_only_the_named_worker_and_its_task_moves_without_counting_a_failure()
    {
        await using var client = await cluster.ConnectAsync();
        await client.WaitForWorkersAsync(2, E2E.Timeout);
        var before = await PidsByNameAsync(client);
        var (restarted, kept) = (cluster.WorkerNames[0], cluster.WorkerNames[1]);

        (await client.RestartWorkersAsync([restarted]).WaitAsync(E2E.Timeout)).ShouldBe([restarted]);

        var after = await PidsByNameAsync(client);
        after[restarted].ShouldNotBe(before[restarted]);
        after[kept].ShouldBe(before[kept]);
        (await client.Submit(static (int x) => x + 1, 1).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(2);
    }

    [Fact]
    public async Task RestartWorkersAsync_of_an_unknown_name_is_refused_naming_it()
    {
        await using var client = await cluster.ConnectAsync();
        var error = await Should.ThrowAsync<ArgumentException>(client.RestartWorkersAsync(["no-such-worker"]).WaitAsync(E2E.Timeout));
        error.Message.ShouldContain("no-such-worker");
        await Should.ThrowAsync<ArgumentException>(client.RestartWorkersAsync([]));
    }

    /// <summary>Each worker's process id, by worker name (RunAsync answers by address).</summary>
    private static async Task<Dictionary<string, int>> PidsByNameAsync(Client client)
    {
        var pids = await client.RunAsync(static () => Environment.ProcessId).WaitAsync(E2E.Timeout);
        var info = await client.GetClusterInfoAsync().WaitAsync(E2E.Timeout);
        return info.Workers.ToDictionary(w => w.Name, w => pids[w.Address]);
    }
}

using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.ClientApi;

/// <summary>
/// A task that ends its own process (<c>Environment.Exit(0)</c>) on <c>shoal worker</c> processes under their
/// nannies: the nanny restarts the worker whatever the exit code, and the task follows the lost-worker rules.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class TaskExitsProcessTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task A_task_calling_Environment_Exit_0_has_its_worker_restarted_and_errs_after_the_allowed_failures_naming_the_cause()
    {
        await using var client = await cluster.ConnectAsync();
        var exits = client.Submit(static () =>
        {
            Environment.Exit(0);
            return 0;
        }, new SubmitOptions { Pure = false });
        var error = await Should.ThrowAsync<TaskException>(exits.ResultAsync().WaitAsync(E2E.Timeout));
        error.RemoteTypeName.ShouldBe("Shoal.WorkerKilledException");
        error.RemoteMessage.ShouldContain("exited while serving (a task called Environment.Exit?");
        error.RemoteMessage.ShouldContain("(restarted)");

        // The cluster did not lose its workers: both names are back (new processes), and work runs.
        await client.WaitForWorkersAsync(2, E2E.Timeout);
        var after = await client.GetClusterInfoAsync();
        after.Workers.Select(w => w.Name).Order().ShouldBe(cluster.WorkerNames);
        (await client.GatherAsync(client.Map(static (int x) => x + 1, Enumerable.Range(0, 10))).WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(1, 10));
    }
}

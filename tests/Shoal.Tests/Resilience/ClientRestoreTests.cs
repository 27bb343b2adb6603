using System.Diagnostics;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Resilience;

/// <summary>
/// Clients as holders of last resort, end to end with worker processes: results the client
/// already received are put back on a surviving worker when the worker that computed them is
/// killed, and nothing is computed again.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class ClientRestoreTests
{
    [Fact]
    public async Task Results_the_client_received_are_restored_not_recomputed_when_their_worker_is_killed()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true, Workers = 2, ThreadsPerWorker = 1, MemoryLimitPerWorker = 512L << 20, WorkerCommand = IsolatedCli.Path,
        }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var victim = cluster.WorkerNames[0];
        // Only the victim may run them: were they recomputed, nothing could (the test would time out).
        var squares = client.Map(static (int x) => x * x, Enumerable.Range(0, 20), new SubmitOptions { Workers = [victim] });
        (await client.GatherAsync(squares).WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 20).Select(x => x * x));
        var executed = cluster.Scheduler.TasksDone;
        executed.ShouldBe(20);

        var pid = cluster.Scheduler.WorkerProcesses.Single(w => w.Worker == victim).Pid;
        Process.GetProcessById(pid).Kill();
        await Eventually.HoldsAsync(() => cluster.Scheduler.Departures.Any(d => d.Worker == victim), E2E.Timeout, "the scheduler notices the death");
        cluster.Scheduler.Departures.Single(d => d.Worker == victim).Lost.ShouldBe(20, "no other worker held them");

        // A task on the survivor reads all 20: they are back in memory there.
        var total = client.Submit(static (int[] v) => v.Sum(), squares);
        (await total.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 20).Sum(x => x * x));
        cluster.Scheduler.TasksDone.ShouldBe(executed + 1, "only the sum ran: no square was computed again");
    }

    [Fact]
    public async Task Without_holding_results_for_recovery_the_same_results_are_recomputed()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true, Workers = 2, ThreadsPerWorker = 1, MemoryLimitPerWorker = 512L << 20, WorkerCommand = IsolatedCli.Path,
        }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster, new ClientOptions { HoldResultsForRecovery = false }).WaitAsync(E2E.Timeout);
        var victim = cluster.WorkerNames[0];
        var squares = client.Map(static (int x) => x * x, Enumerable.Range(0, 20));
        (await client.GatherAsync(squares).WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 20).Select(x => x * x));
        var executed = cluster.Scheduler.TasksDone;

        var pid = cluster.Scheduler.WorkerProcesses.Single(w => w.Worker == victim).Pid;
        Process.GetProcessById(pid).Kill();
        await Eventually.HoldsAsync(() => cluster.Scheduler.Departures.Any(d => d.Worker == victim), E2E.Timeout, "the scheduler notices the death");
        var lost = cluster.Scheduler.Departures.Single(d => d.Worker == victim).Lost;
        lost.ShouldBeGreaterThan(0, "the victim held some of the results alone");

        var total = client.Submit(static (int[] v) => v.Sum(), squares);
        (await total.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 20).Sum(x => x * x));
        cluster.Scheduler.TasksDone.ShouldBe(executed + lost + 1, "the results lost with the victim were computed again");
    }
}

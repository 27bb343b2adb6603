using Shoal.Comm;
using Shoal.Execution;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.Comm;

namespace Shoal.Tests.Resilience;

/// <summary>
/// A nanny's death report names the dead process: a nanny starts the replacement at once, so the
/// report may arrive after the replacement registered under the same name, and must not remove it.
/// </summary>
public class NannyReportTests
{
    private static readonly SecurityOptions Cluster = SecurityOptions.TemporaryToken();

    // The id a nanny would have handed this worker on its pipe; the reports carry it (see NannyReportBindingTests).
    private const string NannyId = "nanny-of-reported";

    [Fact]
    public async Task A_report_naming_another_process_leaves_the_registered_worker_and_one_naming_it_removes_it_with_the_cause()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = Cluster });
        await using var worker = await WorkerServer.StartAsync(new WorkerServerOptions
        {
            SchedulerAddress = scheduler.Address, ListenAddress = "tcp://127.0.0.1:0", Name = "reported", NThreads = 1,
            Security = Cluster.ForRole(Role.Worker), NannyId = NannyId,
        });
        await Eventually.HoldsAsync(() => scheduler.WorkerCount == 1, TimeSpan.FromSeconds(30), "the worker registers");
        var pid = scheduler.WorkerProcesses.ShouldHaveSingleItem().Pid;

        // The pong comes after the report was queued for the scheduler's loop: the second report is handled after the first.
        await ReportAsync(scheduler.Address, new WorkerDied { Name = "reported", Cause = "about a predecessor", Pid = pid + 1, NannyId = NannyId });
        await ReportAsync(scheduler.Address, new WorkerDied { Name = "reported", Cause = "killed by signal 9 (SIGKILL) (exit code 137)", Pid = pid, NannyId = NannyId });
        // Waits for the removal itself, not for a worker count of 0: the worker in this process is alive, so it
        // reconnects (and registers again) as soon as the scheduler closes its connection, and the count of 0 may
        // last only a few milliseconds. The departure record stays.
        await Eventually.HoldsAsync(() => scheduler.Departures.Count > 0, TimeSpan.FromSeconds(30), "the reported worker is removed");
        var departure = scheduler.Departures.ShouldHaveSingleItem();
        departure.Worker.ShouldBe("reported");
        departure.Cause.ShouldContain("signal 9", Case.Sensitive, "the report about another process removed nothing");
    }

    /// <summary>Connects as a nanny with the worker's credential, sends the report, and waits for a pong after it.</summary>
    private static async Task ReportAsync(string address, WorkerDied died)
    {
        await using var nanny = await Transports.ConnectAsync(address, new ConnectionOptions
        {
            Role = Role.Nanny, Name = "nanny-test", Security = Cluster.ForRole(Role.Worker), HandshakeTimeout = TimeSpan.FromSeconds(5),
        });
        nanny.Send(new Envelope { WorkerDied = died });
        nanny.Send(CommTestHelpers.Ping(1));
        (await nanny.ReceiveOneAsync()).Message.Pong.RequestId.ShouldBe(1UL);
    }
}

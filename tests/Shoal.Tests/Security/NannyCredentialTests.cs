using System.Diagnostics;
using Shoal.Cli;
using Shoal.Scheduling;
using Shoal.Tests.EndToEnd;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Security;

/// <summary>
/// A nanny holds its worker's credentials (from the TLS flags): it hands them to the worker it
/// starts, and proves them itself, in the nanny role, to report why the worker died.
/// </summary>
[Collection(RealProcessesCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class NannyCredentialTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_nanny_with_tls_flags_restarts_its_worker_and_reports_the_signal_that_killed_it()
    {
        var dir = Path.Join(Path.GetTempPath(), "shoal-certs-" + Guid.NewGuid().ToString("N"));
        try
        {
            (await ShoalCommand.InvokeAsync(["certs", "create", "--out", dir, "--hosts", "127.0.0.1"], new StringWriter(), new StringWriter(), CancellationToken.None)).ShouldBe(0);
            var schedulerSecurity = SecurityOptions.FromPemFiles(Path.Join(dir, "ca.pem"), Path.Join(dir, "scheduler.pem"), Path.Join(dir, "scheduler-key.pem"));
            // A generous grace for the nanny's report: a loaded machine may be slow to deliver it.
            await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
            {
                ListenAddress = "tcp://127.0.0.1:0", Security = schedulerSecurity, NannyReportGrace = TimeSpan.FromSeconds(10),
            });
            scheduler.Address.ShouldStartWith("tls://");
            var name = $"tls-nanny-{Guid.NewGuid().ToString("N")[..6]}";
            await using var nanny = ShoalProcess.Start(["worker", scheduler.Address, "--nthreads", "1", "--name", name,
                "--tls-ca-file", Path.Join(dir, "ca.pem"), "--tls-cert", Path.Join(dir, "worker.pem"), "--tls-key", Path.Join(dir, "worker-key.pem")]);
            await Eventually.HoldsAsync(() => scheduler.WorkerCount == 1, Patience, "the worker registers over TLS");
            var first = scheduler.WorkerProcesses.ShouldHaveSingleItem();
            first.Pid.ShouldNotBe(nanny.Id, "the worker runs in a child of the nanny");

            Process.GetProcessById(first.Pid).Kill();
            await Eventually.HoldsAsync(() => scheduler.WorkerProcesses is [var w] && w.Pid != first.Pid, Patience, "the restarted worker registers");
            var departure = scheduler.Departures.ShouldHaveSingleItem();
            departure.Worker.ShouldBe(name);
            departure.Cause.ShouldContain("signal 9", Case.Sensitive, nanny.Output);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}

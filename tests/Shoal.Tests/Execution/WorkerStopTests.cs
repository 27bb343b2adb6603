using System.Diagnostics;
using Shoal.Execution;
using Shoal.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Shoal.Tests.Execution;

/// <summary>
/// A stopping worker (and so the nanny waiting for it) does not wait long for a goodbye from a
/// scheduler that cannot give one: a frozen or overloaded scheduler process, a cut link not yet
/// noticed. It used to wait out the connection's 5 s linger for the scheduler's close.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public class WorkerStopTests(ITestOutputHelper output)
{
    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        kill.ExitCode.ShouldBe(0, $"kill {signal} {pid}");
    }

    [Fact]
    public async Task A_worker_stops_promptly_when_its_scheduler_process_is_frozen()
    {
        await using var scheduler = ShoalProcess.Start(["scheduler", "--port", "0"]);
        var address = await scheduler.WaitForSchedulerAddressAsync(E2E.Timeout);
        var worker = await WorkerServer.StartAsync(new WorkerServerOptions
        {
            SchedulerAddress = address,
            ListenAddress = "tcp://127.0.0.1:0",
            Name = "stopping",
            NThreads = 1,
        });
        await scheduler.WaitForLineAsync(l => l.Contains("Worker stopping joined", StringComparison.Ordinal), E2E.Timeout);

        Signal(scheduler.Id, "-STOP");
        try
        {
            var stopping = Stopwatch.StartNew();
            await worker.DisposeAsync().AsTask().WaitAsync(E2E.Timeout);
            output.WriteLine($"stopped in {stopping.Elapsed.TotalSeconds:0.00} s with its scheduler frozen");
            // It stopped without the scheduler's close (which a frozen scheduler never sends): cut at the goodbye limit.
            worker.SchedulerGoodbyeOutcome.ShouldBe("not waited for beyond the goodbye limit");
        }
        finally
        {
            Signal(scheduler.Id, "-CONT");
        }
    }
}

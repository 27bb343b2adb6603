using System.Diagnostics;
using System.Net;
using Shoal.Execution;
using Shoal.Scheduling;
using Shoal.Tests.Comm;
using Shoal.Tests.Resilience;
using Xunit.Abstractions;

namespace Shoal.Tests.Execution;

/// <summary>
/// A link that stops forwarding (a cut cable, a partition) closes nothing: the worker notices by
/// the scheduler's silence. A death timeout shorter than the silence limit shortens it, and the
/// log names the silence, not a close.
/// </summary>
public class SchedulerSilenceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_worker_behind_a_silent_link_stops_after_its_death_timeout_not_the_longer_silence_limit()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = "tcp://127.0.0.1:0",
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        });
        var port = int.Parse(scheduler.Address[(scheduler.Address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        await using var link = new FreezableTcpProxy(new IPEndPoint(IPAddress.Loopback, port));
        var logs = new CapturingLoggerFactory();
        await using var worker = await WorkerServer.StartAsync(new WorkerServerOptions
        {
            SchedulerAddress = link.Address,
            ListenAddress = "tcp://127.0.0.1:0",
            Name = "cut-off",
            NThreads = 1,
            DeathTimeout = TimeSpan.FromSeconds(2),
            SchedulerSilenceTimeout = TimeSpan.FromSeconds(10),
            LoggerFactory = logs,
        });
        await Eventually.HoldsAsync(() => scheduler.WorkerCount == 1, TimeSpan.FromSeconds(10), "the worker registers");

        link.Freeze();
        var cut = Stopwatch.StartNew();
        var reason = await worker.Stopped.WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"stopped {cut.Elapsed.TotalSeconds:0.00} s after the link went silent: {reason}");

        reason.ShouldContain("death-timeout");
        cut.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(1.5));
        var lost = logs.Entries.Select(e => e.Message).Single(m => m.StartsWith("Lost the scheduler", StringComparison.Ordinal));
        output.WriteLine(lost);
        lost.ShouldContain("no message from the scheduler for");
        lost.ShouldContain("(the limit is 2 s)", Case.Sensitive, "the 10 s silence limit must not hold a 2 s death timeout back");
        lost.ShouldNotContain("closed the connection");
        // Ending it does not wait for a goodbye from the scheduler it cannot reach.
        await worker.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        worker.SchedulerGoodbyeOutcome.ShouldBe("not waited for: the connection was lost");
    }

    [Fact]
    public void The_silence_limit_is_the_death_timeout_when_that_is_shorter()
    {
        static WorkerServerOptions With(double? death, double silence) => new()
        {
            SchedulerAddress = "tcp://127.0.0.1:1",
            DeathTimeout = death is { } d ? TimeSpan.FromSeconds(d) : null,
            SchedulerSilenceTimeout = TimeSpan.FromSeconds(silence),
        };

        With(3, 10).SchedulerSilenceLimit.ShouldBe(TimeSpan.FromSeconds(3));
        With(60, 10).SchedulerSilenceLimit.ShouldBe(TimeSpan.FromSeconds(10));
        With(null, 10).SchedulerSilenceLimit.ShouldBe(TimeSpan.FromSeconds(10));
        With(0, 10).SchedulerSilenceLimit.ShouldBe(TimeSpan.FromSeconds(10)); // 0: stop at the first loss, noticed as before
    }
}

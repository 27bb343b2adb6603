using System.Diagnostics;
using Shoal.Execution;
using Shoal.Scheduling;
using Xunit.Abstractions;

namespace Shoal.Tests.Resilience;

public class ReconnectionTests(ITestOutputHelper output)
{
    private static int _doublings;

    [Fact]
    public async Task A_worker_whose_connection_drops_reconnects_and_keeps_its_results()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = $"inproc://reconnect-{id}" });
        await using var worker = await WorkerServer.StartAsync(new WorkerServerOptions
        {
            SchedulerAddress = scheduler.Address,
            ListenAddress = $"inproc://reconnect-worker-{id}",
            Name = "steady",
            NThreads = 1,
            DeathTimeout = TimeSpan.FromSeconds(30),
        });
        await using var client = await Client.ConnectAsync(scheduler.Address);
        var doubled = client.Submit(static (int v) => { Interlocked.Increment(ref _doublings); return v * 2; }, 21);
        (await doubled.ResultAsync().WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(42);
        var before = Volatile.Read(ref _doublings);

        var clock = Stopwatch.StartNew();
        await worker.DropSchedulerConnectionAsync();
        await Eventually.HoldsAsync(() => scheduler.Departures.Count == 1 && scheduler.WorkerCount == 1, TimeSpan.FromSeconds(30), "the worker registers again");
        output.WriteLine($"registered again {clock.Elapsed.TotalMilliseconds:0} ms after the drop");

        var next = client.Submit(static (int v) => v + 1, doubled);
        (await next.ResultAsync().WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(43);
        Volatile.Read(ref _doublings).ShouldBe(before, "the result the worker kept must not be recomputed");
        worker.Stopped.IsCompleted.ShouldBeFalse();
    }

    [Fact]
    public async Task A_worker_that_cannot_reach_its_scheduler_for_the_death_timeout_stops_by_itself()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = $"inproc://death-{id}" });
        await using var worker = await WorkerServer.StartAsync(new WorkerServerOptions
        {
            SchedulerAddress = scheduler.Address,
            ListenAddress = $"inproc://death-worker-{id}",
            Name = "orphan",
            NThreads = 1,
            DeathTimeout = TimeSpan.FromSeconds(1),
        });

        var clock = Stopwatch.StartNew();
        await scheduler.CrashAsync();
        var reason = await worker.Stopped.WaitAsync(TimeSpan.FromSeconds(20));

        reason.ShouldContain("death-timeout");
        clock.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(0.9));
        output.WriteLine($"worker stopped {clock.Elapsed.TotalSeconds:0.00} s after its scheduler died: {reason}");
    }

    [Fact]
    public async Task The_scheduler_is_idle_after_its_last_client_leaves_and_not_before()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = $"inproc://idle-{id}",
            IdleTimeout = TimeSpan.FromSeconds(1),
            TickInterval = TimeSpan.FromMilliseconds(50),
        });
        var client = await Client.ConnectAsync(scheduler.Address);
        var pending = client.Submit(static () => 7); // no worker: it waits, so there is work

        // Connected, with work, for longer than the timeout: the loop applied the idle rule past it, and did not find it idle.
        var connected = scheduler.ClockSeconds;
        await Eventually.HoldsAsync(() => scheduler.IdleCheckedAt >= connected + 1.5, TimeSpan.FromSeconds(30), "the idle rule applied 1.5 s after the client connected");
        scheduler.Idle.IsCompleted.ShouldBeFalse();
        pending.IsDone.ShouldBeFalse();

        var clock = Stopwatch.StartNew();
        await client.DisposeAsync();
        await scheduler.Idle.WaitAsync(TimeSpan.FromSeconds(10));
        clock.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(0.9));
        output.WriteLine($"idle {clock.Elapsed.TotalSeconds:0.00} s after the last client left (timeout 1 s)");
    }

    [Fact]
    public async Task A_worker_whose_link_goes_silent_reconnects_when_it_is_back_and_nothing_it_held_is_recomputed()
    {
        // On a failure, the scheduler's and the worker's logs say where it stuck (a CI machine rarely fails twice alike).
        var logs = new Shoal.Tests.Comm.CapturingLoggerFactory();
        var clock = Stopwatch.StartNew();
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        logs.Logged += (level, message) => lines.Enqueue($"{clock.Elapsed.TotalSeconds:0.000} {level} {message}");
        try
        {
            await SilentLinkAsync(logs);
        }
        catch
        {
            foreach (var line in lines) output.WriteLine(line);
            throw;
        }
    }

    private async Task SilentLinkAsync(Microsoft.Extensions.Logging.ILoggerFactory logs)
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = "tcp://127.0.0.1:0",
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            LoggerFactory = logs,
        });
        var port = int.Parse(scheduler.Address[(scheduler.Address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        await using var link = new FreezableTcpProxy(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        await using var worker = await WorkerServer.StartAsync(new WorkerServerOptions
        {
            SchedulerAddress = link.Address,
            ListenAddress = "tcp://127.0.0.1:0",
            Name = "behind-a-link",
            NThreads = 1,
            SchedulerSilenceTimeout = TimeSpan.FromSeconds(1),
            DeathTimeout = TimeSpan.FromSeconds(30),
            LoggerFactory = logs,
        });
        await using var client = await Client.ConnectAsync(scheduler.Address);
        // Over TCP the task runs in its own code context: executions are counted by the scheduler.
        var tripled = client.Submit(static (int v) => v * 3, 14);
        (await tripled.ResultAsync().WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(42);
        scheduler.TasksDone.ShouldBe(1);

        link.Freeze();
        var noticed = await Eventually.HoldsAsync(() => !worker.IsConnected, TimeSpan.FromSeconds(20), "the worker notices the silent link");
        link.Thaw();
        var rejoined = await Eventually.HoldsAsync(() => worker.Registrations == 2 && scheduler.WorkerCount == 1, TimeSpan.FromSeconds(30), "the worker registers again");
        output.WriteLine($"silence noticed after {noticed.TotalSeconds:0.00} s; registered again {rejoined.TotalMilliseconds:0} ms after the link came back");

        var next = client.Submit(static (int v) => v + 1, tripled);
        (await next.ResultAsync().WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(43);
        scheduler.TasksDone.ShouldBe(2, "the result the worker kept must not be recomputed");
        // Whichever the scheduler heard of first, the old connection closing or the new registration.
        var cause = scheduler.Departures.ShouldHaveSingleItem().Cause;
        (cause == "reconnected" || cause.StartsWith("connection lost", StringComparison.Ordinal)).ShouldBeTrue(cause);
    }
}

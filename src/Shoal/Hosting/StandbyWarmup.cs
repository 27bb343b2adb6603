using System.Diagnostics;
using Shoal.Execution;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;

namespace Shoal.Hosting;

/// <summary>
/// What a standby worker does while it waits: the whole joining path once, against a throwaway
/// scheduler of its own on loopback (listen, dial, handshake, register, heartbeat, close), so that
/// when its nanny says "start" the code is compiled and joining the real scheduler takes a round
/// trip, not a warm-up. Best effort: a warm-up that fails only leaves the spare colder.
/// </summary>
internal static class StandbyWarmup
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Runs the warm-up; it stops early when <paramref name="started"/> completes (the spare is needed now).</summary>
    public static async Task RunAsync(Task started, CancellationToken cancellationToken)
    {
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(Limit);
            _ = started.ContinueWith(static (_, state) => CancelQuietly((CancellationTokenSource)state!), limit,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            var security = SecurityOptions.TemporaryToken();
            await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = security }, limit.Token).ConfigureAwait(false);
            await using var worker = await WorkerServer.StartAsync(new WorkerServerOptions
            {
                SchedulerAddress = scheduler.Address,
                Name = "standby-warmup",
                NThreads = 1,
                DeathTimeout = Limit,
                Security = security.ForRole(Role.Worker),
            }, limit.Token).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            while (scheduler.WorkerCount == 0 && clock.Elapsed < Limit) await Task.Delay(5, limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Only slower to join.
        }
    }

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The warm-up ended first.
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Shoal.Scheduling;

namespace Shoal.Kubernetes;

/// <summary>
/// Each worker's time from "requested" (its pod's creation asked for) to "registered" (the
/// scheduler counts it): what <see cref="KubeCluster.StartupTimes"/> reports. While workers are
/// pending it reads the scheduler's registered names every 20 ms, as the scheduler's own
/// wait for a worker count does (registration is a message to its loop, with no event to await).
/// </summary>
internal sealed class StartupClock : IAsyncDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(20);
    private readonly ConcurrentDictionary<string, long> _pending = new();
    private readonly ConcurrentDictionary<string, TimeSpan> _times = new();
    private readonly SemaphoreSlim _work = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private SchedulerServer? _scheduler;

    public StartupClock() => _loop = Task.Run(LoopAsync);

    public IReadOnlyDictionary<string, TimeSpan> Times => _times;

    /// <summary>The scheduler to watch (known once the cluster started it).</summary>
    public void Watch(SchedulerServer scheduler)
    {
        _scheduler = scheduler;
        _work.Release();
    }

    public void Requested(string worker)
    {
        _pending[worker] = Stopwatch.GetTimestamp();
        _work.Release();
    }

    /// <summary>The worker will not register (its start failed, or it was stopped first): stop waiting for it.</summary>
    public void Forget(string worker) => _pending.TryRemove(worker, out _);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        _stop.Dispose();
        _work.Dispose();
    }

    private async Task LoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            if (_pending.IsEmpty || _scheduler is null)
            {
                await _work.WaitAsync(token).ConfigureAwait(false);
                continue;
            }

            try
            {
                var reading = await _scheduler.GetAdaptiveTargetAsync(5, token).ConfigureAwait(false);
                foreach (var name in reading.Workers)
                {
                    if (_pending.TryRemove(name, out var since)) _times[name] = Stopwatch.GetElapsedTime(since);
                }
            }
            catch (ObjectDisposedException)
            {
                return; // the scheduler stopped
            }

            await Task.Delay(Period, token).ConfigureAwait(false);
        }
    }
}

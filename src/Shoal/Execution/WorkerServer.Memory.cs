using Shoal.Platform;

namespace Shoal.Execution;

// Memory pressure: results past the target spill to disk as they are stored (DataStore); here,
// past the pause fraction of the memory limit in process memory, the worker starts no new tasks
// and spills everything it can, until process memory falls back under it.
internal sealed partial class WorkerServer
{
    private static readonly TimeSpan MemoryCheckInterval = TimeSpan.FromMilliseconds(100);
    private double _pausedSince = -1;
    private double _lastCollect;

    /// <summary>True while paused for memory (tests and diagnostics).</summary>
    internal bool IsPausedForMemory => _pausedSince >= 0;

    private async Task MemoryMonitorLoopAsync()
    {
        if (_options.MemoryLimit <= 0 || _options.MemoryPauseFraction <= 0) return;
        using var timer = new PeriodicTimer(MemoryCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.MemoryCheck));
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>
    /// On the loop, before the state hears of a stored result (and may start the next task): a big
    /// one is checked against the pause threshold at once. Checked only every 100 ms, a worker
    /// storing 10 MB results every few milliseconds passed its limit before it paused.
    /// </summary>
    private void CheckMemoryAfterStoring(long nbytes)
    {
        if (_options.MemoryLimit <= 0 || _options.MemoryPauseFraction <= 0) return;
        if (nbytes >= Math.Max(1 << 20, _options.MemoryLimit / 100)) CheckMemory();
    }

    /// <summary>On the loop: pause past the pause threshold, resume under it.</summary>
    private void CheckMemory()
    {
        var pause = (long)(_options.MemoryLimit * _options.MemoryPauseFraction);
        var rss = ProcessMemory.ResidentBytes();
        if (rss > pause)
        {
            if (_pausedSince < 0)
            {
                _pausedSince = Now;
                WorkerLog.Paused(_logger, _options.Name, rss, pause);
                Apply(_state.Pause());
                if (_connected) SendHeartbeat(); // the scheduler stops placing here at once
            }

            // Spilled values and garbage only leave the process once collected (a full collection
            // at most four times a second: it is not free, and a paused worker allocates little).
            _store.SpillAll();
            if (Now - _lastCollect > 0.25)
            {
                _lastCollect = Now;
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                rss = ProcessMemory.ResidentBytes();
            }
        }

        // Resume under the threshold; or when nothing here is left to free (the rest is not ours to
        // spill: staying paused would only deadlock the graph).
        if (_pausedSince >= 0 && (rss <= pause || (_store.MemoryBytes == 0 && _state.Executing == 0 && Now - _pausedSince > 1)))
        {
            _pausedSince = -1;
            WorkerLog.Resumed(_logger, _options.Name, rss);
            Apply(_state.Unpause());
            if (_connected) SendHeartbeat();
        }
    }
}

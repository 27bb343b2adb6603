using Shoal.Platform;

namespace Shoal.Execution;

// Memory pressure: results past the target spill to disk as they are stored (DataStore); here,
// past the pause fraction of the memory limit in process memory, the worker starts no new tasks
// and spills everything it can, until process memory falls back under it. Process memory and its
// limit are the process's (ProcessMemoryAccount), shared by every worker server in the process.
internal sealed partial class WorkerServer : IMemoryHolder
{
    private static readonly TimeSpan MemoryCheckInterval = TimeSpan.FromMilliseconds(100);
    private double _pausedSince = -1;

    /// <summary>True while paused for memory (tests and diagnostics).</summary>
    internal bool IsPausedForMemory => _pausedSince >= 0;

    long IMemoryHolder.MemoryBytes => _store.MemoryBytes;

    int IMemoryHolder.Executing => _state?.Executing ?? 0;

    private async Task MemoryMonitorLoopAsync()
    {
        if (_options.MemoryLimit <= 0 || _options.MemoryPauseFraction <= 0) return;
        _memory.Join(this);
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
        finally
        {
            _memory.Leave(this);
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
        if (nbytes >= Math.Max(1 << 20, _options.MemoryLimit / 100)) CheckMemory(fresh: true);
    }

    /// <summary>
    /// On the loop: pause past the process's pause threshold, resume under it. The periodic check
    /// takes the process's last sample (≤ 50 ms old, shared by its workers); after a big result,
    /// a <paramref name="fresh"/> reading.
    /// </summary>
    private void CheckMemory(bool fresh = false)
    {
        var pause = (long)(_memory.Limit * _options.MemoryPauseFraction);
        var rss = _memory.ResidentBytes(fresh);
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
            // at most four times a second for the whole process: it is not free, and a paused
            // worker allocates little).
            _store.SpillAll();
            if (_memory.TryStartCollection())
            {
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                rss = _memory.ResidentBytes(fresh: true);
            }
        }

        // Resume under the threshold; or when nothing in the process is left to free (the rest is
        // not the workers' to spill: staying paused would only deadlock the graph).
        if (_pausedSince >= 0 && (rss <= pause || (Now - _pausedSince > 1 && _memory.NothingToFree())))
        {
            _pausedSince = -1;
            WorkerLog.Resumed(_logger, _options.Name, rss);
            Apply(_state.Unpause());
            if (_connected) SendHeartbeat();
        }
    }
}

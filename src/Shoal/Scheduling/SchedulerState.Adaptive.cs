namespace Shoal.Scheduling;

// What cluster managers read to scale: how many workers the current load wants, and which
// workers are cheapest to let go. Pure reads; nothing here changes the state.
internal sealed partial class SchedulerState
{
    /// <summary>
    /// How many workers the current load wants (as Dask's adaptive_target): the estimated work
    /// (processing, queued and unplaced tasks) divided by how long the user accepts to wait for
    /// it, but never more workers than there are tasks ready to run in parallel, and at least
    /// one while any task is unfinished; at least what the results in memory need (see
    /// <see cref="MemoryTarget"/>).
    /// </summary>
    /// <param name="targetDuration">Seconds the backlog should take (Dask's default is 5).</param>
    public int AdaptiveTarget(double targetDuration = 5)
    {
        double work = 0;
        int parallel = 0;
        foreach (int id in _liveWorkers)
        {
            var w = _workers[id]!;
            work += w.Occupancy;
            parallel += w.ProcessingCount;
        }
        for (int i = 0; i < _heapCount; i++) work += EstimatedDuration(_tasks[_heap[i]].Group);
        foreach (int t in _resourceWaiting) work += EstimatedDuration(_tasks[t].Group);
        foreach (int t in _noWorker) work += EstimatedDuration(_tasks[t].Group);
        parallel += _heapCount + _resourceWaiting.Count + _noWorker.Count;

        int unfinished = _stateCounts[(int)TaskState.Waiting] + parallel;
        int byWork = (int)Math.Ceiling(work / Math.Max(targetDuration, 1e-9));
        int target = Math.Min(byWork, parallel);
        if (unfinished > 0) target = Math.Max(target, 1);

        // No floor for workers that merely hold results: retiring a worker moves its unique results first
        // (RetireWorkersAsync), so the results bound the target only by the memory they need.
        return Math.Max(target, MemoryTarget());
    }

    /// <summary>The name a worker registered with ("" for an unknown id).</summary>
    public string WorkerNameOf(int worker) => WorkerOrNull(worker)?.Spec.Name ?? "";

    /// <summary>
    /// The workers the results in memory need: the bytes held over what a worker keeps before it
    /// spills (<paramref name="fraction"/> of its memory limit, the mean over live workers with a
    /// limit). 0 when no worker has a limit.
    /// </summary>
    public int MemoryTarget(double fraction = 0.6)
    {
        long held = 0, limits = 0;
        int limited = 0;
        foreach (int id in _liveWorkers)
        {
            var w = _workers[id]!;
            held += w.NbytesHeld;
            if (w.Spec.MemoryLimit > 0)
            {
                limits += w.Spec.MemoryLimit;
                limited++;
            }
        }

        if (limited == 0 || held == 0) return 0;
        return (int)Math.Ceiling(held / (limits / (double)limited * fraction));
    }

    /// <summary>
    /// A worker is retiring: from now on it gets no new tasks (queued, placed or stolen); it
    /// finishes those it has and keeps serving its results until the server removes it.
    /// </summary>
    public void StopPlacingOn(int worker)
    {
        var w = WorkerOrNull(worker);
        if (w is null) return;
        w.Closing = true;
        UnindexWorker(w);
    }

    /// <summary>The worker takes new tasks again (it was paused for memory; see <see cref="StopPlacingOn"/>).</summary>
    public void ResumePlacingOn(int worker, double now)
    {
        Stimulus(StoryCause.PlacementResumed, now, worker);
        var w = WorkerOrNull(worker);
        if (w is null || !w.Closing) return;
        w.Closing = false;
        IndexWorker(w);
        RetryUnplaced();
        Settle();
    }

    /// <summary>True when <paramref name="worker"/> is retiring (see <see cref="StopPlacingOn"/>).</summary>
    public bool IsClosing(int worker) => WorkerOrNull(worker)?.Closing ?? false;

    /// <summary>
    /// Up to <paramref name="count"/> workers that are cheapest to close: idle ones first, then
    /// those holding the fewest bytes (their unique results must be moved before they go).
    /// </summary>
    public IReadOnlyList<int> WorkersToClose(int count)
    {
        return _liveWorkers
            .Select(id => _workers[id]!)
            .OrderBy(w => w.ProcessingCount > 0)
            .ThenBy(w => w.NbytesHeld)
            .ThenBy(w => w.Id)
            .Take(Math.Max(0, count))
            .Select(w => w.Id)
            .ToArray();
    }
}

namespace Shoal.Scheduling;

// What cluster managers read to scale: how many workers the current load wants, and which
// workers are cheapest to let go. Pure reads; nothing here changes the state.
public sealed partial class SchedulerState
{
    /// <summary>
    /// How many workers the current load wants (as Dask's adaptive_target): the estimated work
    /// (processing, queued and unplaced tasks) divided by how long the user accepts to wait for
    /// it, but never more workers than there are tasks ready to run in parallel, and at least
    /// one while any task is unfinished. Not below the workers still holding results.
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

        // Workers holding results cannot go without moving them first.
        int holding = 0;
        foreach (int id in _liveWorkers) if (_workers[id]!.HasWhat.Count > 0) holding++;
        return Math.Max(target, Math.Min(holding, _liveWorkers.Count));
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

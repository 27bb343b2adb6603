namespace Shoal.Scheduling;

// Tasks that wait on other tasks (Dask's secede / long-running). A task that submits subtasks and
// waits for them gives up its thread slot on its worker; the worker says so, and from then on the
// scheduler counts it against neither the worker's slots (the root queue feeds that worker again)
// nor its occupancy (placement and stealing see the worker as free). It stays on the worker's
// processing list: its result, failure or its worker's death end it as for any other task.
internal sealed partial class SchedulerState
{
    /// <summary>
    /// Run <paramref name="runId"/> of <paramref name="key"/> on <paramref name="worker"/> seceded from its slot.
    /// Ignored for any other run (a stale report), and when it seceded already.
    /// </summary>
    public void TaskSeceded(int worker, string key, long runId, double now)
    {
        Stimulus(StoryCause.TaskSeceded, now, worker, key);
        if (!_keyIndex.TryGetValue(key, out int t)) return;
        ref var r = ref _tasks[t];
        if (r.RunId != runId || r.State != TaskState.Processing || r.ProcessingOn != worker || r.LongRunning || r.Ahead) return;
        var w = _workers[worker]!;
        r.LongRunning = true;
        w.LongRunning++;
        w.ProcessingCount--;
        w.Occupancy = w.ProcessingCount == 0 ? 0 : w.Occupancy - r.AssignedDuration;
        r.AssignedDuration = 0;
        LoadChanged(w);
        Settle();
    }

    /// <summary>Whether the task seceded from its worker's slots (tests and diagnostics).</summary>
    public bool IsLongRunning(int task) => _tasks[task].LongRunning;

    /// <summary>Seceded tasks processing on <paramref name="worker"/>.</summary>
    public int LongRunningCount(int worker) => WorkerOrNull(worker)?.LongRunning ?? 0;
}

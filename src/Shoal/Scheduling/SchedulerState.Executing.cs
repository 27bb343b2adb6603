namespace Shoal.Scheduling;

// Which processing tasks a worker is executing, and what a worker's death costs each of them.
// A worker holds many more tasks than threads (the slots cover the round trip), so "processing
// on a worker that died" says little: only a task that was executing there may be the cause of
// the death, and only those deaths count towards the allowed failures. Everything else the dead
// worker held is placed again for free.
internal sealed partial class SchedulerState
{
    /// <summary>
    /// A worker started run <paramref name="runId"/> of a task (it reports each start before running it). Until
    /// the run ends, a death of that worker counts against the task (see <see cref="SchedulerConfig.AllowedFailures"/>).
    /// </summary>
    public void TaskStarted(int worker, string key, long runId, double now)
    {
        if (!_keyIndex.TryGetValue(key, out int t)) return;
        ref var r = ref _tasks[t];
        // (An ahead task cannot start before its input's completion reaches the scheduler on the same connection.)
        if (r.RunId != runId || r.State != TaskState.Processing || r.ProcessingOn != worker || r.Executing || r.Ahead) return;
        r.Executing = true;
        var w = _workers[worker]!;
        w.KnownExecuting++;
        w.HasReportedStarts = true;
    }

    /// <summary>Whether the task's worker reported it started (tests and diagnostics).</summary>
    public bool IsExecuting(int task) => _tasks[task].Executing;

    /// <summary>Clears the executing mark of a task leaving its worker.</summary>
    private void StopExecuting(ref TaskRecord r, WorkerRecord w)
    {
        if (!r.Executing) return;
        r.Executing = false;
        w.KnownExecuting--;
    }

    /// <summary>
    /// Marks the processing tasks of a dying worker that count against their allowed failures, in
    /// <see cref="_suspects"/>: those it reported started; and, for each thread with no start on record (its report
    /// may have died with the worker, as when a task kills its process at once), the not-started task the thread
    /// would take first: the best run order among those whose inputs the worker holds (it starts nothing else
    /// without a fetch first). A start reported for a task whose completion was then lost in flight counts too:
    /// over-counting by a task that just finished is safe, missing the task that kills every worker it runs on is
    /// not. The guesses weigh half a death each (see <see cref="CountDeath"/>), and are made only on a worker that
    /// has reported starts before (a task that kills a fresh worker before its first report is counted once it lands
    /// on a worker that got going).
    /// </summary>
    private void FindSuspects(WorkerRecord w)
    {
        _suspects.Clear();
        // No guess for a worker that never reported a start: a replacement still starting up (JIT, code loading, a
        // loaded machine) has run nothing yet, and guessing there held one task against every kill of a worker
        // killed again before it got going (8 guesses on one task in a kill-every-second test at load 74).
        int unreported = w.HasReportedStarts ? w.NThreads - w.KnownExecuting : 0;
        for (int t = w.ProcHead; t >= 0; t = _tasks[t].ProcNext)
        {
            if (_tasks[t].Executing) _suspects[t] = true;
        }

        for (int slot = 0; slot < unreported; slot++)
        {
            int best = -1;
            for (int t = w.ProcHead; t >= 0; t = _tasks[t].ProcNext)
            {
                if (_suspects.ContainsKey(t) || !HoldsInputs(w.Id, t)) continue;
                if (best < 0 || RunOrderOf(t) > RunOrderOf(best)) best = t;
            }
            if (best < 0) break;
            _suspects[best] = false;
        }
    }

    private bool HoldsInputs(int worker, int task)
    {
        var deps = _tasks[task].Dependencies;
        for (int i = 0; i < deps.Length; i++)
            if (WhoHas(deps[i]).IndexOf(worker) < 0) return false;
        return true;
    }

    /// <summary>
    /// Records a death against a task: true when the task has now outlived too many workers. A death with the start
    /// reported weighs one; a guessed one (no start on record) half: a task that kills its worker before its report
    /// leaves still errs, after twice as many deaths, and a task that only happened to be next in line on a worker
    /// killed for another reason needs twice as much bad luck to be failed for it.
    /// </summary>
    private bool CountDeath(int task, WorkerRecord w, string cause, bool startReported)
    {
        ref var r = ref _tasks[task];
        r.Suspicious += startReported ? 2 : 1; // in half deaths
        if (!_failures.TryGetValue(task, out var list)) _failures[task] = list = new List<WorkerDeath>();
        list.Add(new WorkerDeath(w.Spec.Name, w.Spec.Pid, cause, startReported));
        return r.Suspicious > 2 * _config.AllowedFailures + 1;
    }

    private WorkerKilledError KilledError(int task)
    {
        var deaths = _failures[task];
        return new WorkerKilledError(_tasks[task].Key, deaths.Select(d => d.Worker).ToArray(), deaths.Select(d => d.Cause).ToArray())
        {
            Deaths = deaths.ToArray(),
            AllowedFailures = _config.AllowedFailures,
        };
    }

    /// <summary>Tasks that were executing on the worker being removed (value: its start was reported).</summary>
    private readonly Dictionary<int, bool> _suspects = new();
}

namespace Shoal.Scheduling;

// Chains without round trips. A task whose only missing input is processing on a worker that holds
// all its other inputs is assigned to that worker ahead of time: the worker keeps it waiting (as
// Dask's worker keeps a task in `waiting` until its inputs are in memory) and starts it the moment
// the input is done, instead of the input's result travelling to the scheduler and the next task
// travelling back, one round trip per link. Such a task is Processing on that worker but on the
// worker's separate ahead list: it takes no thread slot and no occupancy (the root queue and
// stealing see the worker as it really is), it is never a steal candidate (nor is its input: the
// worker refuses to give up a task another local task waits for), and it has never executed, so a
// death of its worker costs it nothing.
//
// An ahead task follows its input. When the input finishes on that worker, the task lands: it
// becomes an ordinary processing task there (the worker already has it). When the input leaves
// that worker any other way (it erred, was rescheduled, stolen, released, finished elsewhere, or
// the worker died), the task is pulled back to waiting (with a FreeKeys to the worker, unless it
// died) and placed afresh once its input is placed or done. Tasks with restrictions or resources
// are never assigned ahead of time: they are placed when their inputs are in memory, as before.
internal sealed partial class SchedulerState
{
    // Tasks assigned (or assigned ahead) during this event whose dependents may now go ahead, and tasks that came to
    // wait on exactly one input: both are looked at in Settle, once placement is done.
    private readonly List<int> _aheadParents = new();
    private readonly List<int> _aheadCandidates = new();
    // Pulling back is iterative (a chain can be long): inputs whose ahead dependents still have to be pulled back.
    private readonly Stack<int> _pullBack = new();
    private bool _pullingBack;
    private bool _aheadFreed;
    // The worker whose processing tasks RemoveWorker is emptying: it gets no FreeKeys.
    private int _removingWorker = -1;

    /// <summary>Tasks assigned ahead of time so far.</summary>
    public long AheadAssigned { get; private set; }

    /// <summary>Tasks assigned ahead of time whose input then finished on their worker (they ran there without a round trip).</summary>
    public long AheadLanded { get; private set; }

    /// <summary>Tasks assigned ahead of time and pulled back because their input left their worker another way.</summary>
    public long AheadPulledBack { get; private set; }

    /// <summary>Whether a processing task was assigned ahead of time and still waits for its input on its worker.</summary>
    public bool IsAhead(int task) => _tasks[task].Ahead;

    /// <summary>Number of tasks assigned ahead of time to a worker that still wait for their input.</summary>
    public int AheadCountOf(int worker) => WorkerOrNull(worker)?.AheadCount ?? 0;

    /// <summary>Tasks assigned ahead of time to a worker, in the order they were sent.</summary>
    public IEnumerable<int> AheadOn(int worker)
    {
        var w = WorkerOrNull(worker);
        if (w is null) yield break;
        for (int t = w.AheadHead; t >= 0; t = _tasks[t].ProcNext) yield return t;
    }

    /// <summary>Its dependents may go ahead of time now that it is processing (called by Assign).</summary>
    private void NoteAssignedForAhead(int task)
    {
        if (_config.AheadOfTime && _tasks[task].DependentCount > 0) _aheadParents.Add(task);
    }

    /// <summary>A task came to wait on exactly one input: it may go ahead of time if that input is processing.</summary>
    private void NoteWaitingOnOne(int task)
    {
        if (_config.AheadOfTime && _tasks[task].Constraints is null) _aheadCandidates.Add(task);
    }

    /// <summary>Assigns ahead of time what became possible during this event (the last step of Settle).</summary>
    private void AssignAheadOfTime()
    {
        if (_aheadFreed)
        {
            _aheadFreed = false;
            RetryBlockedAhead();
        }
        if (_aheadParents.Count == 0 && _aheadCandidates.Count == 0) return;
        for (int i = 0; i < _aheadCandidates.Count; i++) TryAssignAhead(_aheadCandidates[i]);
        _aheadCandidates.Clear();
        // A task assigned ahead is itself a parent: the walk follows a chain down to its end (or the worker's limit).
        for (int i = 0; i < _aheadParents.Count; i++)
        {
            ref var p = ref _tasks[_aheadParents[i]];
            if (!p.Live || p.State != TaskState.Processing) continue;
            var dependents = p.Dependents;
            for (int k = 0; k < p.DependentCount; k++) TryAssignAhead(dependents[k]);
        }
        _aheadParents.Clear();
    }

    /// <summary>Assigns a task ahead of time if its only missing input is processing on a worker that holds the others.</summary>
    private void TryAssignAhead(int task)
    {
        ref var r = ref _tasks[task];
        if (!r.Live || r.State != TaskState.Waiting || r.WaitingOn != 1 || r.Constraints is not null) return;
        var deps = r.Dependencies;
        int input = -1;
        for (int i = 0; i < deps.Length; i++)
        {
            if (_tasks[deps[i]].State == TaskState.Memory) continue;
            if (input >= 0) return; // (WaitingOn is exact while waiting; this only guards it)
            input = deps[i];
        }
        if (input < 0) return;
        ref var d = ref _tasks[input];
        // An input with a steal in flight may be given up by its worker before the ahead task arrives there.
        if (d.State != TaskState.Processing || d.ProcessingOn < 0 || d.StealThief >= 0) return;
        var w = _workers[d.ProcessingOn]!;
        if (w.Closing) return;
        for (int i = 0; i < deps.Length; i++)
        {
            int other = deps[i];
            if (other != input && WhoHas(other).IndexOf(w.Id) < 0) return; // placement decides where to move inputs
        }
        if (w.AheadCount >= _config.MaxAheadPerWorker)
        {
            (w.AheadBlocked ??= new Queue<int>()).Enqueue(task);
            return;
        }
        AssignAhead(task, w, input);
    }

    /// <summary>waiting -> processing on the worker computing its one missing input, on its ahead list; emits Compute.</summary>
    private void AssignAhead(int task, WorkerRecord w, int input)
    {
        ref var r = ref _tasks[task];
        r.RunId = ++_lastRunId;
        if (_freedOn.Count > 0 && _freedOn.TryGetValue(task, out int freedOn) && freedOn == w.Id) _freedOn.Remove(task);
        r.ProcessingOn = w.Id;
        r.StealThief = -1;
        r.Ahead = true;
        r.AheadInput = input;
        _tasks[input].AheadDependents++;
        LinkAtTail(task, ref w.AheadHead, ref w.AheadTail);
        w.AheadCount++;
        SetState(task, TaskState.Processing);
        Emit(SchedulerCommandKind.Compute, w.Id, task);
        AheadAssigned++;
        if (r.DependentCount > 0) _aheadParents.Add(task);
    }

    /// <summary>
    /// The input finished on its worker: its ahead dependents there become ordinary processing tasks (they take a
    /// slot and occupancy now; the worker has them already and may have started them). Call before the input
    /// leaves processing.
    /// </summary>
    private void LandAhead(int input)
    {
        ref var d = ref _tasks[input];
        if (d.AheadDependents == 0) return;
        var dependents = d.Dependents;
        for (int i = 0; i < d.DependentCount && d.AheadDependents > 0; i++)
        {
            int t = dependents[i];
            ref var r = ref _tasks[t];
            if (!r.Ahead || r.AheadInput != input) continue;
            var w = _workers[r.ProcessingOn]!;
            UnlinkAhead(t, w);
            r.WaitingOn = 0;
            LinkAtTail(t, ref w.ProcHead, ref w.ProcTail);
            CountProcessing(t, w);
            AheadLanded++;
        }
    }

    /// <summary>Takes an ahead task off its worker's ahead list and its input's count (RemoveFromProcessing and landing).</summary>
    private void UnlinkAhead(int task, WorkerRecord w)
    {
        ref var r = ref _tasks[task];
        if (r.ProcPrev >= 0) _tasks[r.ProcPrev].ProcNext = r.ProcNext;
        else w.AheadHead = r.ProcNext;
        if (r.ProcNext >= 0) _tasks[r.ProcNext].ProcPrev = r.ProcPrev;
        else w.AheadTail = r.ProcPrev;
        r.ProcPrev = r.ProcNext = -1;
        w.AheadCount--;
        _tasks[r.AheadInput].AheadDependents--;
        r.Ahead = false;
        r.AheadInput = -1;
        if (w.AheadBlocked is { Count: > 0 }) _aheadFreed = true;
    }

    /// <summary>
    /// The input left its worker other than by finishing there: its ahead dependents go back to waiting (transitively,
    /// without recursion), each with a FreeKeys to the worker unless it is being removed.
    /// </summary>
    private void PullBackAhead(int input)
    {
        _pullBack.Push(input);
        if (_pullingBack) return; // the outer call's loop gets to it
        _pullingBack = true;
        while (_pullBack.Count > 0)
        {
            int p = _pullBack.Pop();
            ref var pr = ref _tasks[p];
            var dependents = pr.Dependents;
            for (int i = 0; i < pr.DependentCount && pr.AheadDependents > 0; i++)
            {
                int t = dependents[i];
                ref var r = ref _tasks[t];
                if (!r.Ahead || r.AheadInput != p) continue;
                Unqueue(t, freeOnWorker: r.ProcessingOn != _removingWorker); // may push t here, for its own ahead dependents
                SetState(t, TaskState.Waiting);
                r.WaitingOn = CountMissingInputs(t);
                AheadPulledBack++;
            }
        }
        _pullingBack = false;
    }

    /// <summary>Looks again at tasks that found a worker's ahead list full, while it has room.</summary>
    private void RetryBlockedAhead()
    {
        foreach (int id in _liveWorkers)
        {
            var w = _workers[id]!;
            var blocked = w.AheadBlocked;
            if (blocked is null) continue;
            while (blocked.Count > 0 && w.AheadCount < _config.MaxAheadPerWorker)
            {
                int t = blocked.Dequeue();
                // A stale entry (placed since, or a recycled slot) fails the checks or is a harmless new candidate.
                TryAssignAhead(t);
            }
        }
    }

    // ---------------------------------------------------------------- invariants (Validate)

    private void ValidateAhead(int task)
    {
        ref var r = ref _tasks[task];
        string k = r.Key;
        Check(r.Constraints is null, $"{k}: ahead of time with restrictions or resources");
        Check(r.WaitingOn == 1 && CountMissingInputs(task) == 1, $"{k}: ahead of time, waiting on {r.WaitingOn}, missing {CountMissingInputs(task)}");
        ref var d = ref _tasks[r.AheadInput];
        Check(d.Live && d.State == TaskState.Processing && d.ProcessingOn == r.ProcessingOn && Array.IndexOf(r.Dependencies, r.AheadInput) >= 0,
            $"{k}: ahead of time on worker {r.ProcessingOn}, but its input {d.Key} is {d.State} on {d.ProcessingOn}");
        Check(r.StealThief == -1 && !r.Executing && !r.LongRunning && r.AssignedDuration == 0, $"{k}: ahead of time but stolen, started or counted");
        foreach (int other in r.Dependencies)
            if (other != r.AheadInput) Check(WhoHas(other).IndexOf(r.ProcessingOn) >= 0, $"{k}: ahead of time on a worker lacking {_tasks[other].Key}");
    }

    private void ValidateAheadList(WorkerRecord w)
    {
        int n = 0, prev = -1;
        for (int t = w.AheadHead; t >= 0; prev = t, t = _tasks[t].ProcNext)
        {
            ref var r = ref _tasks[t];
            Check(r.Ahead && r.State == TaskState.Processing && r.ProcessingOn == w.Id && r.ProcPrev == prev, $"worker {w.Id}: ahead list at {r.Key}");
            n++;
        }
        Check(w.AheadTail == prev && n == w.AheadCount, $"worker {w.Id}: {w.AheadCount} ahead of time, listed {n}");
        Check(n <= Math.Max(0, _config.MaxAheadPerWorker), $"worker {w.Id}: {n} ahead of time, over the limit");
    }
}

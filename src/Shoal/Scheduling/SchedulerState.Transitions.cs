using Shoal.Transfer;
namespace Shoal.Scheduling;

// Task state transitions. Every state change goes through SetState so that the bookkeeping that
// depends on states (counts per state, how many dependents still need a result) cannot drift.
internal sealed partial class SchedulerState
{
    /// <summary>States in which a task still needs its dependencies' results.</summary>
    private static bool NeedsInputs(TaskState s) =>
        s is TaskState.Waiting or TaskState.Queued or TaskState.NoWorker or TaskState.Processing;

    private void SetState(int task, TaskState state)
    {
        ref var r = ref _tasks[task];
        var old = r.State;
        if (old == state)
        {
            if (state == TaskState.Processing) RecordTransition(task, old, state); // moved to another worker (stolen)
            return;
        }

        RecordTransition(task, old, state);
        _stateCounts[(int)old]--;
        _stateCounts[(int)state]++;
        CountGroupState(r.Group, old, state);
        r.State = state;
        if (old == TaskState.Restoring) _restoring.Remove(task);
        bool was = NeedsInputs(old), now = NeedsInputs(state);
        if (was == now) return;
        var deps = r.Dependencies;
        for (int i = 0; i < deps.Length; i++)
        {
            ref var d = ref _tasks[deps[i]];
            if (now) d.Waiters++;
            else if (--d.Waiters == 0 && d.WanterCount == 0) _releaseCandidates.Add(deps[i]);
        }
    }

    /// <summary>Whether anybody (a client, or a dependent that has yet to run) needs the task.</summary>
    private bool IsNeeded(int task)
    {
        ref var r = ref _tasks[task];
        return r.WanterCount > 0 || r.Waiters > 0;
    }

    private int CountMissingInputs(int task)
    {
        var deps = _tasks[task].Dependencies;
        int missing = 0;
        for (int i = 0; i < deps.Length; i++) if (_tasks[deps[i]].State != TaskState.Memory) missing++;
        return missing;
    }

    /// <summary>
    /// released -> waiting, for a task that has become needed, and for every released
    /// dependency it needs (recursively). Tasks whose inputs are all in memory become ready.
    /// </summary>
    private void MakeWaiting(int task)
    {
        var walk = _walk;
        walk.Push(task);
        while (walk.Count > 0)
        {
            int t = walk.Pop();
            if (_tasks[t].State != TaskState.Released) continue;
            if (!IsNeeded(t)) { _releaseCandidates.Add(t); continue; } // its dependent erred meanwhile
            SetState(t, TaskState.Waiting);
            var deps = _tasks[t].Dependencies;
            int missing = 0;
            TaskFailure? error = null;
            for (int i = 0; i < deps.Length; i++)
            {
                int d = deps[i];
                switch (_tasks[d].State)
                {
                    case TaskState.Memory: break;
                    case TaskState.Erred: error ??= _errors[d]; break;
                    case TaskState.Released: missing++; walk.Push(d); break;
                    default: missing++; break;
                }
            }
            _tasks[t].WaitingOn = missing;
            if (error is not null) MarkErred(t, error);
            else if (missing == 0) _ready.Add(t);
            else if (missing == 1) NoteWaitingOnOne(t);
        }
    }

    /// <summary>Back to waiting after leaving a worker (retry, reschedule, lost worker, stolen to a dead thief).</summary>
    private void BackToWaiting(int task)
    {
        SetState(task, TaskState.Waiting);
        int missing = CountMissingInputs(task);
        _tasks[task].WaitingOn = missing;
        if (missing == 0) _ready.Add(task);
        else
        {
            if (missing == 1) NoteWaitingOnOne(task);
            // An input may have been released meanwhile; bring it back.
            var deps = _tasks[task].Dependencies;
            for (int i = 0; i < deps.Length; i++)
                if (_tasks[deps[i]].State == TaskState.Released) MakeWaiting(deps[i]);
        }
    }

    /// <summary>Takes a task off whatever queue, set or worker holds it while it is ready.</summary>
    private void Unqueue(int task, bool freeOnWorker)
    {
        ref var r = ref _tasks[task];
        switch (r.State)
        {
            case TaskState.Queued:
                if (r.HeapIndex >= 0) HeapRemove(task);
                else _resourceWaiting.Remove(task);
                break;
            case TaskState.NoWorker:
                _noWorker.Remove(task);
                break;
            case TaskState.Processing when r.ProcessingOn >= 0: // (callers may have taken it off already)
                int w = r.ProcessingOn;
                RemoveFromProcessing(task);
                if (freeOnWorker)
                {
                    Emit(SchedulerCommandKind.FreeKeys, w, task);
                    // That run is over: its task-done may still come (sent before the FreeKeys arrived) and must be
                    // stale. Counted as current, it could free the key a second time on a worker that meanwhile
                    // fetched it back as a replica and reported it (AddKeys): the scheduler would list a holder
                    // that has nothing (a simulation seed deadlocked on it, with a journal recovery ending the run).
                    r.RunId = ++_lastRunId;
                    _freedOn[task] = w;
                }
                break;
        }
    }

    /// <summary>A result arrived (finished, scattered, or reported held): -> memory.</summary>
    private void ToMemory(int task, int worker, long nbytes)
    {
        Unqueue(task, freeOnWorker: true);
        if (_tasks[task].State == TaskState.Erred) _errors.Remove(task);
        _tasks[task].Nbytes = nbytes;
        AddHolder(task, worker);
        SetState(task, TaskState.Memory);
        EmitToWanters(SchedulerCommandKind.KeyInMemory, task);

        ref var r = ref _tasks[task];
        var dependents = r.Dependents;
        for (int i = 0; i < r.DependentCount; i++)
        {
            int d = dependents[i];
            ref var dr = ref _tasks[d];
            if (dr.State != TaskState.Waiting) continue;
            if (--dr.WaitingOn == 0) _ready.Add(d);
            else if (dr.WaitingOn == 1) NoteWaitingOnOne(d);
        }
        if (_fireAndForgetCount > 0) DropFireAndForget(task);
        if (r.WanterCount == 0 && r.Waiters == 0) _releaseCandidates.Add(task);
    }

    /// <summary>
    /// A result held nowhere any more: memory -> released; dependents that counted on it wait
    /// again, and it is recomputed if still needed.
    /// </summary>
    private void LoseData(int task)
    {
        SetState(task, TaskState.Released);
        ref var r = ref _tasks[task];
        var dependents = r.Dependents;
        for (int i = 0; i < r.DependentCount; i++)
        {
            int d = dependents[i];
            switch (_tasks[d].State)
            {
                case TaskState.Waiting: // (counted afresh: it may have just been pulled back from ahead of time, counting this)
                    _tasks[d].WaitingOn = CountMissingInputs(d);
                    break;
                case TaskState.Queued or TaskState.NoWorker or TaskState.Processing:
                    Unqueue(d, freeOnWorker: true);
                    SetState(d, TaskState.Waiting);
                    _tasks[d].WaitingOn = CountMissingInputs(d);
                    break;
            }
        }
        if (TryRestoreFromClient(task))
        {
            // A client that wants it holds the value: it puts it back; nothing is recomputed.
        }
        else if (IsNeeded(task) && _tasks[task].IsScattered)
        {
            MarkErred(task, new DataLostError(_tasks[task].Key)); // nothing to recompute it from
        }
        else if (IsNeeded(task))
        {
            EmitToWanters(SchedulerCommandKind.KeyLost, task);
            MakeWaiting(task);
        }
        else _releaseCandidates.Add(task);
    }

    /// <summary>-> erred, with every dependent that has yet to run (transitively).</summary>
    private void MarkErred(int task, TaskFailure error)
    {
        var walk = _walk;
        int mark = walk.Count; // MarkErred may run inside MakeWaiting's walk: use the stack above it.
        walk.Push(task);
        while (walk.Count > mark)
        {
            int t = walk.Pop();
            var state = _tasks[t].State;
            if (state is TaskState.Erred or TaskState.Memory or TaskState.Forgotten) continue;
            if (t != task && state == TaskState.Released) continue;
            Unqueue(t, freeOnWorker: true);
            SetState(t, TaskState.Erred);
            _errors[t] = error;
            EmitToWanters(SchedulerCommandKind.KeyErred, t);
            ref var r = ref _tasks[t];
            for (int i = 0; i < r.DependentCount; i++) walk.Push(r.Dependents[i]);
            if (_fireAndForgetCount > 0) DropFireAndForget(t);
            if (r.WanterCount == 0 && r.Waiters == 0) _releaseCandidates.Add(t);
        }
    }

    /// <summary>Releases and forgets the tasks nobody needs any more (a worklist, so long chains do not recurse).</summary>
    private void ProcessReleases()
    {
        var list = _releaseCandidates;
        for (int i = 0; i < list.Count; i++)
        {
            int t = list[i];
            ref var r = ref _tasks[t];
            if (!r.Live || r.WanterCount > 0 || r.Waiters > 0) continue;
            switch (r.State)
            {
                case TaskState.Memory:
                    FreeEverywhere(t);
                    SetState(t, TaskState.Released);
                    break;
                case TaskState.Waiting or TaskState.Queued or TaskState.NoWorker or TaskState.Processing or TaskState.Restoring:
                    Unqueue(t, freeOnWorker: true);
                    SetState(t, TaskState.Released);
                    break;
            }
            if (_tasks[t].DependentCount == 0) Forget(t);
        }
        list.Clear();
    }

    private void FreeEverywhere(int task)
    {
        ref var r = ref _tasks[task];
        while (r.HolderCount > 0)
        {
            int w = r.HolderCount == 1 ? r.Holder0 : r.MoreHolders![r.HolderCount - 1];
            RemoveHolder(task, w);
            Emit(SchedulerCommandKind.FreeKeys, w, task);
        }
    }

    /// <summary>released/erred, unwanted, no dependents -> forgotten; its slot is recycled at the next ClearCommands.</summary>
    private void Forget(int task)
    {
        ref var r = ref _tasks[task];
        var deps = r.Dependencies;
        for (int i = 0; i < deps.Length; i++)
        {
            int d = deps[i];
            ref var dr = ref _tasks[d];
            int at = Array.LastIndexOf(dr.Dependents, task, dr.DependentCount - 1, dr.DependentCount);
            dr.Dependents[at] = dr.Dependents[dr.DependentCount - 1];
            dr.DependentCount--;
            if (dr.DependentCount == 0 && dr.WanterCount == 0 && dr.Waiters == 0) _releaseCandidates.Add(d);
        }
        _keyIndex.Remove(r.Key);
        _errors.Remove(task);
        _failures.Remove(task);
        _freedOn.Remove(task);
        SetState(task, TaskState.Forgotten);
        _stateCounts[(int)TaskState.Forgotten]--;
        r.Live = false;
        r.RunSpec = null;
        _slotsFreedThisRound.Add(task);
    }

    /// <summary>
    /// Runs after every event: drops what is no longer needed, places what became ready, and
    /// hands queued root tasks to workers with free slots.
    /// </summary>
    private void Settle()
    {
        ProcessReleases();
        ScheduleReady();
        if (_resourcesFreed)
        {
            _resourcesFreed = false;
            RetryResourceWaiting();
        }
        DrainQueue();
        AssignAheadOfTime();
        if (_releaseCandidates.Count > 0) ProcessReleases();
    }
}

namespace Shoal.Execution;

internal sealed partial class WorkerState
{
    /// <summary>The scheduler no longer needs these keys here.</summary>
    /// <remarks>A key not started is forgotten; an executing one is cancelled (its outcome is dropped, a produced
    /// value released); a value in memory is released (<see cref="ReleaseData"/>). A key that an unfinished local
    /// task still needs is kept until that task is done (a task not started yet is then still computed, but not
    /// reported). Dependencies no longer needed by anything and not held for the scheduler are released too.</remarks>
    /// <param name="keys">Keys to free.</param>
    /// <param name="now">Current time.</param>
    /// <param name="putGenerations">For keys a client put here: the generation of the put the scheduler frees. A key
    /// held from another put stays: the scheduler sent this before it learnt of the later scatter, which reached this
    /// worker first on the client's own connection.</param>
    public IReadOnlyList<WorkerInstruction> FreeKeys(IReadOnlyList<string> keys, double now, IReadOnlyDictionary<string, ulong>? putGenerations = null)
    {
        _story.Stimulus("free-keys", now);
        ArgumentNullException.ThrowIfNull(keys);
        for (int i = 0; i < keys.Count; i++)
        {
            if (!_tasks.TryGetValue(keys[i], out var ts)) continue;
            if (ts.PutGeneration != 0 && (putGenerations is null || !putGenerations.TryGetValue(keys[i], out var freed) || freed != ts.PutGeneration))
            {
                // Told in the key's story as an event of its own that leaves its state as it is.
                _story.Stimulus("free-keys-of-an-earlier-put", now);
                _story.Record(ts.Key, ts.State, ts.State);
                _story.Stimulus("free-keys", now);
                continue;
            }
            ts.WantedByScheduler = false;
            if (ts.State == WorkerTaskState.Resumed && ts.Previous == WorkerTaskState.Flight && ts.HasDependents)
            {
                // No longer to compute, still needed as a dependency: just wait for the gather.
                ts.State = WorkerTaskState.Flight;
                ts.PendingRequest = null;
            }
            MaybeRelease(ts);
        }
        return Finish();
    }

    /// <summary>Releases <paramref name="ts"/> if neither the scheduler nor a local task needs it.</summary>
    private void MaybeRelease(WorkerTask ts)
    {
        if (ts.WantedByScheduler || ts.HasDependents) return;
        switch (ts.State)
        {
            case WorkerTaskState.Executing or WorkerTaskState.Flight:
                ts.Previous = ts.State;
                ts.State = WorkerTaskState.Cancelled;
                break;
            case WorkerTaskState.Resumed:
                ts.State = WorkerTaskState.Cancelled;
                ts.PendingRequest = null;
                break;
            case WorkerTaskState.Cancelled or WorkerTaskState.Released:
                break;
            default:
                Forget(ts);
                break;
        }
    }

    /// <summary>Removes a task that is neither running nor in flight, releasing its value and, in turn, the
    /// dependencies nothing needs any more.</summary>
    private void Forget(WorkerTask ts)
    {
        switch (ts.State)
        {
            case WorkerTaskState.Memory:
                Emit(new ReleaseData(ts.Key));
                _managedBytes -= ts.Nbytes;
                _memoryCount--;
                break;
            case WorkerTaskState.Fetch or WorkerTaskState.Missing:
                LeaveFetchOrMissing(ts);
                break;
            case WorkerTaskState.Ready or WorkerTaskState.Constrained:
                LeaveReady(ts);
                break;
        }
        Drop(ts);
    }

    /// <summary>Unregisters a task whose state bookkeeping is already settled, then detaches its dependencies.</summary>
    private void Drop(WorkerTask ts)
    {
        _tasks.Remove(ts.Key);
        ts.State = WorkerTaskState.Released;
        ts.Running = false;
        ts.CopingFrom = null;
        ts.PendingRequest = null;
        DetachDependencies(ts);
    }

    /// <summary>A compute task is done with its inputs (finished, forgotten or replaced): unlink them and release
    /// those nothing needs any more.</summary>
    private void DetachDependencies(WorkerTask ts)
    {
        var deps = ts.Dependencies;
        if (deps.Length == 0) return;
        ts.Dependencies = WorkerTask.NoTasks;
        ts.PendingDependencies = 0;
        foreach (var dep in deps)
        {
            dep.Dependents!.Remove(ts);
            MaybeRelease(dep);
        }
    }
}

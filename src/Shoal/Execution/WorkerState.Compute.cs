using Shoal.Transfer;
namespace Shoal.Execution;

internal sealed partial class WorkerState
{
    /// <summary>The scheduler asks this worker to compute a task.</summary>
    /// <remarks>Idempotent: a key already in memory answers <see cref="TaskDoneMsg"/> at once; a key already
    /// waiting, ready or executing produces nothing new. A key that failed here is retried.</remarks>
    /// <param name="request">The task.</param>
    /// <param name="now">Current time (worker clock, seconds).</param>
    public IReadOnlyList<WorkerInstruction> ComputeTask(ComputeRequest request, double now)
    {
        _story.Stimulus("compute-task", now);
        ArgumentNullException.ThrowIfNull(request);
        for (int i = 0; i < request.Dependencies.Count; i++) LearnInstances(request.Dependencies[i]);
        var ts = GetOrCreate(request.Key, out bool created);
        if (created)
        {
            ApplyCompute(ts, request);
            return Finish();
        }
        // Whatever runs or arrives under this key now answers the latest request.
        bool newRun = ts.RunId != request.RunId;
        ts.RunId = request.RunId;
        switch (ts.State)
        {
            case WorkerTaskState.Memory:
                ts.WantedByScheduler = true;
                Emit(new TaskDoneMsg(ts.Key, ts.Nbytes, ts.Start, ts.Stop, ts.RunId));
                break;
            case WorkerTaskState.Executing:
                ts.WantedByScheduler = true;
                if (newRun) Emit(new TaskStartedMsg(ts.Key, ts.RunId)); // the scheduler counts starts by run id
                break;
            case WorkerTaskState.Waiting or WorkerTaskState.Ready or WorkerTaskState.Constrained:
                ts.WantedByScheduler = true;
                break;
            case WorkerTaskState.Cancelled or WorkerTaskState.Resumed when ts.Previous == WorkerTaskState.Executing:
                // Still running: its outcome counts again, and so does this worker's death.
                ts.State = WorkerTaskState.Executing;
                ts.WantedByScheduler = true;
                Emit(new TaskStartedMsg(ts.Key, ts.RunId));
                break;
            case WorkerTaskState.Cancelled or WorkerTaskState.Flight:
                // A gather for it is running: if it delivers, that is the result; otherwise compute.
                ts.State = WorkerTaskState.Resumed;
                ts.Previous = WorkerTaskState.Flight;
                ts.Next = WorkerTaskState.Waiting;
                ts.PendingRequest = request;
                ts.WantedByScheduler = true;
                break;
            case WorkerTaskState.Resumed:
                ts.PendingRequest = request;
                ts.WantedByScheduler = true;
                break;
            case WorkerTaskState.Fetch or WorkerTaskState.Missing or WorkerTaskState.Error:
                LeaveFetchOrMissing(ts);
                ts.Error = null;
                ApplyCompute(ts, request);
                break;
        }
        return Finish();
    }

    /// <summary>The task ran to completion and its value (of <paramref name="nbytes"/>) is in the store.</summary>
    /// <param name="key">Key of the task.</param>
    /// <param name="nbytes">Measured size of the value.</param>
    /// <param name="start">When it started.</param>
    /// <param name="stop">When it stopped.</param>
    public IReadOnlyList<WorkerInstruction> ExecuteSuccess(string key, long nbytes, double start, double stop)
    {
        _story.Stimulus("task-finished", stop);
        if (!_tasks.TryGetValue(key, out var ts) || !ts.Running)
        {
            // Nothing runs under this key: drop an orphan value (a tracked key keeps whatever the store holds).
            if (ts is null) Emit(new ReleaseData(key));
            return Finish();
        }
        StopRunning(ts);
        ts.Start = start;
        ts.Stop = stop;
        switch (ts.State)
        {
            case WorkerTaskState.Executing:
                PutInMemory(ts, nbytes);
                if (ts.WantedByScheduler) Emit(new TaskDoneMsg(key, nbytes, start, stop, ts.RunId));
                DetachDependencies(ts);
                MaybeRelease(ts);
                break;
            case WorkerTaskState.Resumed: // was executing, now needed as a dependency: keep it as a replica
                PutInMemory(ts, nbytes);
                ts.WantedByScheduler = true;
                Emit(new AddKeysMsg([new KeyValuePair<string, long>(key, nbytes)]));
                DetachDependencies(ts);
                break;
            default: // Cancelled
                Emit(new ReleaseData(key));
                Drop(ts);
                break;
        }
        return Finish();
    }

    /// <summary>The task raised an error.</summary>
    /// <param name="key">Key of the task.</param>
    /// <param name="error">The error, passed on to the scheduler as is.</param>
    /// <param name="start">When it started.</param>
    /// <param name="stop">When it stopped.</param>
    public IReadOnlyList<WorkerInstruction> ExecuteFailure(string key, TaskErrorPayload error, double start, double stop)
    {
        _story.Stimulus("task-erred", stop, error);
        if (!_tasks.TryGetValue(key, out var ts) || !ts.Running) return Finish();
        if (ts.PutNbytes >= 0) return ExecuteSuccess(key, ts.PutNbytes, start, stop); // a scattered value stands
        StopRunning(ts);
        switch (ts.State)
        {
            case WorkerTaskState.Executing:
                ts.State = WorkerTaskState.Error;
                ts.Error = error;
                ts.Start = start;
                ts.Stop = stop;
                if (ts.WantedByScheduler) Emit(new TaskFailedMsg(key, error, start, stop, ts.RunId));
                // The scheduler drops its reference on a failure (it sends no free-keys for it): the task stays
                // only while a local task still needs it.
                ts.WantedByScheduler = false;
                DetachDependencies(ts);
                MaybeRelease(ts);
                break;
            case WorkerTaskState.Resumed: // needed as a dependency: fetch it from its holders instead
                DetachDependencies(ts);
                ForgetCompute(ts);
                ToFetchOrMissing(ts, lastPeer: null);
                break;
            default: // Cancelled
                Drop(ts);
                break;
        }
        return Finish();
    }

    /// <summary>The task asked to be placed again by the scheduler (it gave up its slot here).</summary>
    /// <param name="key">Key of the task.</param>
    /// <param name="now">Current time.</param>
    public IReadOnlyList<WorkerInstruction> Reschedule(string key, double now)
    {
        _story.Stimulus("reschedule", now);
        if (!_tasks.TryGetValue(key, out var ts) || !ts.Running) return Finish();
        if (ts.PutNbytes >= 0) return ExecuteSuccess(key, ts.PutNbytes, now, now); // a scattered value stands
        StopRunning(ts);
        if (ts.State == WorkerTaskState.Executing) Emit(new RescheduleMsg(key, ts.RunId));
        bool neededHere = ts.HasDependents;
        DetachDependencies(ts);
        ts.WantedByScheduler = false;
        if (neededHere)
        {
            ForgetCompute(ts);
            ToFetchOrMissing(ts, lastPeer: null);
        }
        else
        {
            Drop(ts);
        }
        return Finish();
    }

    /// <summary>The scheduler wants to move a task elsewhere. Accepted (and the task forgotten here) while it has not
    /// started and no other local task needs it; otherwise rejected.</summary>
    /// <param name="key">Key of the task.</param>
    /// <param name="runId">Run id of the assignment to take back, echoed in the answer.</param>
    /// <param name="now">Current time.</param>
    public IReadOnlyList<WorkerInstruction> StealRequest(string key, long runId, double now)
    {
        _story.Stimulus("steal-request", now);
        bool accepted = false;
        if (_tasks.TryGetValue(key, out var ts)
            && ts.State is WorkerTaskState.Waiting or WorkerTaskState.Ready or WorkerTaskState.Constrained
            && !ts.HasDependents)
        {
            accepted = true;
            ts.WantedByScheduler = false;
        }
        Emit(new StealResponseMsg(key, accepted, runId));
        if (accepted) Forget(ts!);
        return Finish();
    }

    /// <summary>Turns <paramref name="ts"/> (new, or just taken out of fetch/missing/error) into a task to compute.</summary>
    private void ApplyCompute(WorkerTask ts, ComputeRequest request)
    {
        ts.HasCompute = true;
        ts.WantedByScheduler = true;
        ts.RunSpec = request.RunSpec;
        ts.RunId = request.RunId;
        ts.Priority = request.Priority;
        ts.Sequence = ++_sequence;
        ts.Resources = request.Resources is { Count: > 0 } ? request.Resources : null;
        ts.PendingRequest = null;
        ts.PendingDependencies = 0;

        var specs = request.Dependencies;
        if (specs.Count == 0)
        {
            ts.Dependencies = WorkerTask.NoTasks;
        }
        else
        {
            var deps = new List<WorkerTask>(specs.Count);
            for (int i = 0; i < specs.Count; i++)
            {
                var spec = specs[i];
                if (spec.Key == ts.Key) continue;
                var dep = GetOrCreate(spec.Key, out bool created);
                if (!(dep.Dependents ??= new HashSet<WorkerTask>()).Add(ts)) continue; // listed twice
                deps.Add(dep);
                if (created) dep.Priority = ts.Priority;
                if (AttachDependency(dep, spec, ts.Priority, created)) ts.PendingDependencies++;
            }
            ts.Dependencies = deps.ToArray();
        }

        if (ts.PendingDependencies == 0) MakeReady(ts);
        else ts.State = WorkerTaskState.Waiting;
    }

    /// <summary>Brings a dependency toward memory for a new dependent; returns true when it is not in memory yet.</summary>
    private bool AttachDependency(WorkerTask dep, DependencySpec spec, long priority, bool created)
    {
        if (dep.State != WorkerTaskState.Memory) dep.Nbytes = spec.Nbytes; // the scheduler's latest estimate
        switch (dep.State)
        {
            case WorkerTaskState.Memory:
                return false;
            case WorkerTaskState.Released when created:
                AddHolders(dep, spec.Holders);
                ToFetchOrMissing(dep, lastPeer: null);
                return true;
            case WorkerTaskState.Fetch:
                if (priority < dep.Priority)
                {
                    RemoveFromDataNeeded(dep);
                    dep.Priority = priority;
                    AddToDataNeeded(dep);
                }
                foreach (var peer in spec.Holders)
                {
                    if (peer != _config.Address && dep.EnsureHolders().Add(peer)) AddToDataNeeded(dep, peer);
                }
                return true;
            case WorkerTaskState.Missing:
                dep.Priority = Math.Min(dep.Priority, priority);
                AddHolders(dep, spec.Holders);
                if (dep.Holders is { Count: > 0 })
                {
                    _missing.Remove(dep);
                    dep.State = WorkerTaskState.Fetch;
                    AddToDataNeeded(dep);
                }
                return true;
            case WorkerTaskState.Cancelled when dep.Previous == WorkerTaskState.Flight:
                dep.State = WorkerTaskState.Flight; // the gather is still running: wait for it
                AddHolders(dep, spec.Holders);
                return true;
            case WorkerTaskState.Cancelled: // executing, produced value will be kept
                dep.State = WorkerTaskState.Resumed;
                dep.Next = WorkerTaskState.Fetch;
                AddHolders(dep, spec.Holders);
                return true;
            default: // Flight, Resumed, or a local compute task (Waiting/Ready/Constrained/Executing/Error)
                AddHolders(dep, spec.Holders);
                return true;
        }
    }

    /// <summary>Remembers which worker process each holder address names now (forgets it where the scheduler did not say).</summary>
    private void LearnInstances(DependencySpec spec)
    {
        var instances = spec.HolderInstances;
        for (int i = 0; i < spec.Holders.Count; i++)
        {
            var instance = instances is not null && i < instances.Count ? instances[i] : null;
            if (string.IsNullOrEmpty(instance)) _peerInstances.Remove(spec.Holders[i]);
            else _peerInstances[spec.Holders[i]] = instance;
        }
    }

    private void AddHolders(WorkerTask ts, IReadOnlyList<string> holders)
    {
        for (int i = 0; i < holders.Count; i++)
        {
            if (holders[i] != _config.Address) ts.EnsureHolders().Add(holders[i]);
        }
    }

    /// <summary>Clears the compute part of a task that will be fetched instead.</summary>
    private static void ForgetCompute(WorkerTask ts)
    {
        ts.HasCompute = false;
        ts.RunSpec = null;
        ts.Resources = null;
        ts.PendingRequest = null;
        ts.Error = null;
    }

    private void MakeReady(WorkerTask ts)
    {
        var key = new WorkerTaskQueueKey(ts.Priority, ts.Sequence);
        if (ts.Resources is null)
        {
            ts.State = WorkerTaskState.Ready;
            _ready.Enqueue(ts, key);
            _readyCount++;
        }
        else
        {
            ts.State = WorkerTaskState.Constrained;
            _constrained.Enqueue(ts, key);
            _constrainedCount++;
        }
    }

    /// <summary>Leaves Ready/Constrained for any other state (the queue entry becomes stale and is skipped).</summary>
    private void LeaveReady(WorkerTask ts)
    {
        if (ts.State == WorkerTaskState.Ready) _readyCount--;
        else if (ts.State == WorkerTaskState.Constrained) _constrainedCount--;
    }

    private static WorkerTask? PeekValid(PriorityQueue<WorkerTask, WorkerTaskQueueKey> queue, WorkerTaskState state)
    {
        while (queue.TryPeek(out var ts, out var key))
        {
            if (ts.State == state && ts.Sequence == key.Sequence) return ts;
            queue.Dequeue();
        }
        return null;
    }

    /// <summary>Starts ready tasks while slots (and resources) allow, best priority first.</summary>
    private void EnsureComputing()
    {
        // Queue entries of tasks that left Ready/Constrained are skipped lazily; drop them all once none is live.
        if (_readyCount == 0 && _ready.Count > 0) _ready.Clear();
        if (_constrainedCount == 0 && _constrained.Count > 0) _constrained.Clear();
        GrantRejoins(); // a seceded task that asked for its slot back comes first
        while (!_paused && _runningCount < _config.NThreads && (_readyCount | _constrainedCount) != 0)
        {
            var ready = _readyCount > 0 ? PeekValid(_ready, WorkerTaskState.Ready) : null;
            var constrained = _constrainedCount > 0 ? PeekValid(_constrained, WorkerTaskState.Constrained) : null;
            // Only the best constrained task is considered (head-of-line), as in Dask.
            if (constrained is not null && !ResourcesFit(constrained.Resources!)) constrained = null;
            WorkerTask next;
            if (ready is null)
            {
                if (constrained is null) return;
                next = constrained;
            }
            else if (constrained is null || WorkerTaskPriorityComparer.Instance.Compare(ready, constrained) < 0)
            {
                next = ready;
            }
            else
            {
                next = constrained;
            }

            if (next == ready) { _ready.Dequeue(); _readyCount--; }
            else { _constrained.Dequeue(); _constrainedCount--; AcquireResources(next.Resources!); }
            next.State = WorkerTaskState.Executing;
            next.Running = true;
            _runningCount++;
            Emit(new Execute(next.Key, next.RunId));
        }
    }

    private bool ResourcesFit(IReadOnlyDictionary<string, double> wanted)
    {
        foreach (var kv in wanted)
        {
            if (!_availableResources.TryGetValue(kv.Key, out double free) || free < kv.Value - 1e-9) return false;
        }
        return true;
    }

    private void AcquireResources(IReadOnlyDictionary<string, double> wanted)
    {
        foreach (var kv in wanted) _availableResources[kv.Key] -= kv.Value;
    }

    private void StopRunning(WorkerTask ts)
    {
        ts.Running = false;
        ts.PutNbytes = -1;
        if (!EndSecession(ts)) _runningCount--;
        if (ts.Resources is not null)
        {
            foreach (var kv in ts.Resources) _availableResources[kv.Key] += kv.Value;
        }
    }

    /// <summary>Puts a value in memory and lets waiting dependents become ready.</summary>
    private void PutInMemory(WorkerTask ts, long nbytes)
    {
        ts.State = WorkerTaskState.Memory;
        ts.Nbytes = nbytes;
        _managedBytes += nbytes;
        _memoryCount++;
        if (ts.Dependents is null) return;
        foreach (var dependent in ts.Dependents)
        {
            if (dependent.State == WorkerTaskState.Waiting && --dependent.PendingDependencies == 0) MakeReady(dependent);
        }
    }
}

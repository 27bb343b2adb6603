namespace Shoal.Execution;

internal sealed partial class WorkerState
{
    /// <summary>Checks every invariant of the state and throws <see cref="InvalidOperationException"/> on the first
    /// violation. Costs O(tasks + queue entries); meant for tests (see
    /// <see cref="WorkerStateConfig.ValidateAfterEveryEvent"/>).</summary>
    public void Validate()
    {
        int running = 0, ready = 0, constrained = 0, memory = 0, seceded = 0;
        long managed = 0;
        var used = new Dictionary<string, double>(StringComparer.Ordinal);

        foreach (var (key, ts) in _tasks)
        {
            Check(ts.Key == key, ts, "is filed under another key");
            Check(ts.State != WorkerTaskState.Released, ts, "is released but still tracked");
            bool flightLike = ts.State == WorkerTaskState.Flight
                || (ts.State is WorkerTaskState.Cancelled or WorkerTaskState.Resumed && ts.Previous == WorkerTaskState.Flight);
            bool runningLike = ts.State == WorkerTaskState.Executing
                || (ts.State is WorkerTaskState.Cancelled or WorkerTaskState.Resumed && ts.Previous == WorkerTaskState.Executing);
            Check(ts.Running == runningLike, ts, $"Running={ts.Running} does not match its state");
            Check(ts.PutNbytes < 0 || ts.Running, ts, "remembers a scattered value but is not running");
            Check(!ts.Seceded || ts.Running, ts, "is seceded but not running");
            Check(!ts.WaitsToRejoin || ts.Seceded, ts, "waits to rejoin but did not secede");
            if (ts.Seceded) seceded++;
            if (ts.Running)
            {
                if (!ts.Seceded) running++;
                if (ts.Resources is not null)
                    foreach (var kv in ts.Resources) used[kv.Key] = used.GetValueOrDefault(kv.Key) + kv.Value;
            }
            if (ts.Holders is not null) Check(!ts.Holders.Contains(_config.Address), ts, "lists this worker as a holder");

            // Somebody must need every tracked key, except those whose dropped outcome is still awaited.
            if (ts.State != WorkerTaskState.Cancelled)
                Check(ts.WantedByScheduler || ts.HasDependents, ts, "is kept although nothing needs it");
            else
                Check(!ts.WantedByScheduler && !ts.HasDependents, ts, "is cancelled although it is needed");
            if (ts.State == WorkerTaskState.Resumed)
            {
                Check(ts.Previous == WorkerTaskState.Executing ? ts.Next == WorkerTaskState.Fetch && ts.HasDependents
                    : ts.Next == WorkerTaskState.Waiting && ts.PendingRequest is not null && ts.WantedByScheduler,
                    ts, "is resumed inconsistently");
            }

            // Links are symmetric and point at tracked objects.
            foreach (var dep in ts.Dependencies)
            {
                Check(_tasks.TryGetValue(dep.Key, out var tracked) && ReferenceEquals(tracked, dep), ts, $"depends on untracked {dep}");
                Check(dep.Dependents is not null && dep.Dependents.Contains(ts), ts, $"is not a dependent of {dep}");
            }
            if (ts.Dependents is not null)
            {
                foreach (var dependent in ts.Dependents)
                {
                    Check(_tasks.TryGetValue(dependent.Key, out var tracked) && ReferenceEquals(tracked, dependent), ts,
                        $"has untracked dependent {dependent}");
                    Check(Array.IndexOf(dependent.Dependencies, ts) >= 0, ts, $"lists {dependent} as dependent, not reverse");
                    Check(dependent.State is WorkerTaskState.Waiting or WorkerTaskState.Ready or WorkerTaskState.Constrained
                        || dependent.Running, ts, $"has finished dependent {dependent}");
                }
            }
            if (ts.Dependencies.Length > 0)
                Check(ts.HasCompute && (ts.State is WorkerTaskState.Waiting or WorkerTaskState.Ready or WorkerTaskState.Constrained || ts.Running),
                    ts, "holds dependencies although it is not an unfinished compute task");

            int notInMemory = 0;
            foreach (var dep in ts.Dependencies) if (dep.State != WorkerTaskState.Memory) notInMemory++;

            switch (ts.State)
            {
                case WorkerTaskState.Waiting:
                    Check(ts.HasCompute, ts, "waits without a compute request");
                    Check(ts.PendingDependencies == notInMemory && notInMemory > 0, ts,
                        $"pending count {ts.PendingDependencies} but {notInMemory} inputs not in memory");
                    foreach (var dep in ts.Dependencies)
                    {
                        Check(dep.State is WorkerTaskState.Memory or WorkerTaskState.Fetch or WorkerTaskState.Flight
                            or WorkerTaskState.Missing or WorkerTaskState.Resumed or WorkerTaskState.Waiting
                            or WorkerTaskState.Ready or WorkerTaskState.Constrained or WorkerTaskState.Executing
                            or WorkerTaskState.Error, ts, $"waits on {dep}, which is not on its way to memory");
                    }
                    break;
                case WorkerTaskState.Ready or WorkerTaskState.Constrained:
                    Check(ts.HasCompute && notInMemory == 0 && ts.PendingDependencies == 0, ts, "is ready with inputs missing");
                    Check((ts.State == WorkerTaskState.Constrained) == (ts.Resources is not null), ts, "is in the wrong ready queue");
                    if (ts.State == WorkerTaskState.Ready) ready++; else constrained++;
                    break;
                case WorkerTaskState.Executing:
                    Check(ts.HasCompute && notInMemory == 0, ts, "executes with inputs missing");
                    break;
                case WorkerTaskState.Fetch:
                    Check(ts.Holders is { Count: > 0 }, ts, "is to fetch without holders");
                    foreach (var peer in ts.Holders!)
                        Check(_dataNeeded.TryGetValue(peer, out var q) && q.Contains(ts), ts, $"is not queued for holder {peer}");
                    Check(ts.HasDependents, ts, "is fetched for nobody");
                    break;
                case WorkerTaskState.Missing:
                    Check(ts.Holders is null || ts.Holders.Count == 0, ts, "is missing but has holders");
                    Check(_missing.Contains(ts), ts, "is missing but not in the missing set");
                    Check(ts.HasDependents, ts, "is missing for nobody");
                    break;
                case WorkerTaskState.Flight:
                    Check(ts.HasDependents, ts, "is in flight for nobody");
                    break;
                case WorkerTaskState.Memory:
                    memory++;
                    managed += ts.Nbytes;
                    break;
            }
            if (flightLike)
            {
                Check(ts.CopingFrom is not null && _inFlight.TryGetValue(ts.CopingFrom, out var batch) && batch.Contains(ts),
                    ts, "is in flight outside any gather");
            }
            else
            {
                Check(ts.CopingFrom is null, ts, "has a gather peer but is not in flight");
            }
            if (ts.State != WorkerTaskState.Missing) Check(!_missing.Contains(ts), ts, "is in the missing set");
        }

        Check(running == _runningCount, null, $"running count {_runningCount}, counted {running}");
        Check(seceded == SecededCount, null, $"seceded count {SecededCount}, counted {seceded}");
        if (running < _config.NThreads) Check(_rejoining.All(ts => !ts.WaitsToRejoin), null, "a slot is free while a seceded task waits to rejoin");
        Check(running <= _config.NThreads, null, $"{running} tasks running on {_config.NThreads} threads");
        Check(ready == _readyCount && constrained == _constrainedCount, null,
            $"ready/constrained counters {_readyCount}/{_constrainedCount}, counted {ready}/{constrained}");
        Check(memory == _memoryCount && managed == _managedBytes, null,
            $"memory counters {_memoryCount}/{_managedBytes}, counted {memory}/{managed}");
        Check(_missing.Count <= _tasks.Count, null, "missing set holds untracked tasks");
        foreach (var ts in _missing)
            Check(ts.State == WorkerTaskState.Missing, ts, "is in the missing set but not missing");

        foreach (var (name, total) in _config.Resources)
        {
            double free = _availableResources.GetValueOrDefault(name);
            double expected = total - used.GetValueOrDefault(name);
            Check(Math.Abs(free - expected) < 1e-6, null, $"resource {name}: {free} free, expected {expected}");
            Check(free >= -1e-9, null, $"resource {name} over-committed ({free} free)");
        }

        int readyEntries = 0, constrainedEntries = 0;
        foreach (var (ts, key) in _ready.UnorderedItems)
            if (ts.State == WorkerTaskState.Ready && ts.Sequence == key.Sequence) readyEntries++;
        foreach (var (ts, key) in _constrained.UnorderedItems)
            if (ts.State == WorkerTaskState.Constrained && ts.Sequence == key.Sequence) constrainedEntries++;
        Check(readyEntries == ready && constrainedEntries == constrained, null, "a ready task is missing from its queue or queued twice");

        foreach (var (peer, queued) in _dataNeeded)
        {
            Check(queued.Count > 0, null, $"empty transfer queue kept for {peer}");
            foreach (var ts in queued)
                Check(ts.State == WorkerTaskState.Fetch && ts.Holders!.Contains(peer) && _tasks.ContainsKey(ts.Key), ts,
                    $"is queued for {peer} but not fetchable from it");
        }
        Check(_inFlight.Count <= Math.Max(1, _config.TransferIncomingCountLimit), null, $"{_inFlight.Count} gathers in flight");
        Check(_inFlightInstances.Count == _inFlight.Count && _inFlight.Keys.All(_inFlightInstances.ContainsKey), null, "gathers in flight without their peer instance");

        if (!_paused && running < _config.NThreads)
        {
            Check(ready == 0, null, "a thread is idle while tasks are ready");
        }
    }

    private static void Check(bool condition, WorkerTask? ts, string message)
    {
        if (!condition)
            throw new InvalidOperationException(ts is null ? "WorkerState: " + message : $"WorkerState: {ts} {message}");
    }
}

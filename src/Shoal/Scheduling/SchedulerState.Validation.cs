namespace Shoal.Scheduling;

// Invariant checks for tests (and debugging): O(tasks), never on the hot path.
internal sealed partial class SchedulerState
{
    /// <summary>Throws <see cref="InvalidOperationException"/> naming the first broken invariant.</summary>
    internal void Validate()
    {
        var counts = new int[_stateCounts.Length];
        int live = 0;
        for (int t = 0; t < _taskHighWater; t++)
        {
            ref var r = ref _tasks[t];
            if (!r.Live) continue;
            live++;
            counts[(int)r.State]++;
            string k = r.Key;
            Check(_keyIndex.TryGetValue(k, out var id) && id == t, $"{k}: key index");
            Check(r.State != TaskState.Forgotten, $"{k}: live but forgotten");

            // Dependencies and dependents are mirror images.
            foreach (int d in r.Dependencies)
            {
                Check(_tasks[d].Live, $"{k}: dependency {d} is not live");
                Check(Array.IndexOf(_tasks[d].Dependents, t, 0, _tasks[d].DependentCount) >= 0, $"{k}: missing from dependents of {_tasks[d].Key}");
            }
            int waiters = 0;
            for (int i = 0; i < r.DependentCount; i++)
            {
                int d = r.Dependents[i];
                Check(_tasks[d].Live && Array.IndexOf(_tasks[d].Dependencies, t) >= 0, $"{k}: dependent {d} does not depend on it");
                if (NeedsInputs(_tasks[d].State)) waiters++;
            }
            Check(waiters == r.Waiters, $"{k}: waiters {r.Waiters}, counted {waiters}");

            // Holders only in memory, and each holder lists it.
            Check((r.State == TaskState.Memory) == (r.HolderCount > 0), $"{k}: {r.State} with {r.HolderCount} holders");
            foreach (int w in WhoHas(t))
                Check(WorkerOrNull(w)?.HasWhat.Contains(t) == true, $"{k}: holder {w} does not list it");

            // A client holder wants it; a restore is on record exactly while restoring, by a client that wants it.
            if (r.ClientHolder >= 0) Check(Wants(t, r.ClientHolder), $"{k}: held by client {r.ClientHolder}, which does not want it");
            Check((r.State == TaskState.Restoring) == _restoring.ContainsKey(t), $"{k}: {r.State}, restore on record: {_restoring.ContainsKey(t)}");
            if (_restoring.TryGetValue(t, out var restore)) Check(Wants(t, restore.Client), $"{k}: restored by client {restore.Client}, which does not want it");

            // Wanting clients are connected (or are holders the scheduler issued: datasets, primitives' futures).
            for (int i = 0; i < r.WanterCount; i++)
            {
                int c = r.WanterCount == 1 ? r.Wanter0 : r.MoreWanters![i];
                Check(_clients.Contains(c) || c == FireAndForgetClient || c > _nextDatasetHolder, $"{k}: wanted by unknown client {c}");
            }

            // Nothing unneeded lingers.
            bool needed = r.WanterCount > 0 || r.Waiters > 0;
            if (!needed)
            {
                Check(r.State is TaskState.Released or TaskState.Erred, $"{k}: {r.State} but nobody needs it");
                Check(r.DependentCount > 0, $"{k}: unneeded without dependents but not forgotten");
            }

            switch (r.State)
            {
                case TaskState.Released:
                    Check(!needed, $"{k}: released but needed");
                    break;
                case TaskState.Waiting:
                    Check(r.WaitingOn == CountMissingInputs(t) && r.WaitingOn > 0, $"{k}: waiting on {r.WaitingOn}, missing {CountMissingInputs(t)}");
                    foreach (int d in r.Dependencies) // liveness: every missing input is on its way
                        Check(_tasks[d].State is TaskState.Memory or TaskState.Restoring || NeedsInputs(_tasks[d].State), $"{k}: waits for {_tasks[d].Key}, which is {_tasks[d].State}");
                    break;
                case TaskState.Queued:
                    Check(CountMissingInputs(t) == 0, $"{k}: queued with missing inputs");
                    Check(r.HeapIndex >= 0 ? _heap[r.HeapIndex] == t : _resourceWaiting.Contains(t), $"{k}: queued but in no queue");
                    break;
                case TaskState.NoWorker:
                    Check(CountMissingInputs(t) == 0 && _noWorker.Contains(t), $"{k}: no-worker bookkeeping");
                    break;
                case TaskState.Processing when r.Ahead:
                    ValidateAhead(t);
                    break;
                case TaskState.Processing:
                    Check(CountMissingInputs(t) == 0, $"{k}: processing with missing inputs");
                    Check(WorkerOrNull(r.ProcessingOn) is not null, $"{k}: processing on dead worker {r.ProcessingOn}");
                    break;
                case TaskState.Erred:
                    Check(_errors.ContainsKey(t), $"{k}: erred without error");
                    break;
            }
            if (r.Ahead) Check(r.State == TaskState.Processing, $"{k}: ahead of time while {r.State}");
            int aheadDependents = 0;
            for (int i = 0; i < r.DependentCount; i++)
                if (_tasks[r.Dependents[i]].Ahead && _tasks[r.Dependents[i]].AheadInput == t) aheadDependents++;
            Check(aheadDependents == r.AheadDependents, $"{k}: {r.AheadDependents} ahead dependents, counted {aheadDependents}");
            if (r.State != TaskState.Processing) Check(r.ProcessingOn == -1 && r.StealThief == -1 && !r.Executing, $"{k}: not processing but on a worker");
            if (r.State != TaskState.Queued) Check(r.HeapIndex == -1, $"{k}: in heap while {r.State}");
            if (r.StealThief >= 0) Check(WorkerOrNull(r.StealThief) is not null, $"{k}: steal towards dead worker");
        }
        Check(live == _keyIndex.Count, $"{live} live tasks, {_keyIndex.Count} keys");
        for (int s = 0; s < _stateCounts.Length; s++) Check(counts[s] == _stateCounts[s], $"state {(TaskState)s}: {_stateCounts[s]} counted {counts[s]}");
        ValidateGroupStateCounts();
        Check(_noWorker.Count == counts[(int)TaskState.NoWorker], "no-worker set size");
        Check(_heapCount + _resourceWaiting.Count == counts[(int)TaskState.Queued], "queue sizes");
        for (int i = 1; i < _heapCount; i++)
            Check(ComparePriority(_heap[(i - 1) / 2], _heap[i]) <= 0, "heap order");
        foreach (int t in _resourceWaiting) Check(_tasks[t].HeapIndex == -1 && _tasks[t].State == TaskState.Queued, "resource-waiting bookkeeping");

        // Workers: processing lists, occupancy, resources, steals, has-what.
        int incomingTotal = 0, outgoingTotal = 0, steals = 0;
        foreach (int id in _liveWorkers)
        {
            var w = _workers[id]!;
            Check(w.Id == id, "worker id");
            int n = 0, prev = -1, executing = 0, longRunning = 0;
            double occupancy = 0;
            var used = new Dictionary<string, double>();
            for (int t = w.ProcHead; t >= 0; prev = t, t = _tasks[t].ProcNext)
            {
                ref var r = ref _tasks[t];
                Check(r.State == TaskState.Processing && !r.Ahead && r.ProcessingOn == id && r.ProcPrev == prev, $"worker {id}: processing list at {r.Key}");
                n++;
                if (r.Executing) executing++;
                if (r.LongRunning) longRunning++;
                occupancy += r.AssignedDuration;
                if (r.StealThief >= 0) steals++;
                if (r.Constraints?.Resources is { } res)
                    foreach (var (name, amount) in res) used[name] = used.GetValueOrDefault(name) + amount;
            }
            Check(w.ProcTail == prev, $"worker {id}: tail");
            ValidateAheadList(w);
            Check(n == w.ProcessingCount + w.LongRunning, $"worker {id}: {w.ProcessingCount} processing and {w.LongRunning} long-running, listed {n}");
            Check(longRunning == w.LongRunning, $"worker {id}: {w.LongRunning} long-running, listed {longRunning}");
            Check(executing == w.KnownExecuting, $"worker {id}: {w.KnownExecuting} known executing, listed {executing}");
            Check(Math.Abs(occupancy - w.Occupancy) < 1e-6 * Math.Max(1, occupancy), $"worker {id}: occupancy {w.Occupancy}, summed {occupancy}");
            foreach (var (name, declared) in w.Spec.Resources)
            {
                double u = used.GetValueOrDefault(name);
                Check(Math.Abs(w.ResourcesUsed![name] - u) < 1e-9, $"worker {id}: {name} used {w.ResourcesUsed[name]}, summed {u}");
                Check(u <= declared + 1e-9, $"worker {id}: {name} over-committed ({u} > {declared})");
            }
            foreach (int t in w.HasWhat)
                Check(_tasks[t].Live && SetContains(_tasks[t].HolderCount, _tasks[t].Holder0, _tasks[t].MoreHolders, id), $"worker {id}: has {t} but is not its holder");
            incomingTotal += w.IncomingSteals;
            outgoingTotal += w.OutgoingSteals;
        }
        ValidateWorkerIndex();
        Check(incomingTotal == steals && outgoingTotal == steals, $"steals: {steals} pending, {incomingTotal} in, {outgoingTotal} out");
        Check(_ready.Count == 0 && _readyDirect.Count == 0 && _releaseCandidates.Count == 0 && _walk.Count == 0, "scratch lists not empty between events");
    }

    /// <summary>One line per task (state, inputs, holders, worker) and per worker, for debugging.</summary>
    internal string Describe()
    {
        var sb = new System.Text.StringBuilder();
        foreach (int id in _liveWorkers)
        {
            var w = _workers[id]!;
            sb.Append($"worker {id} {w.Spec.Name} threads={w.NThreads} processing={w.ProcessingCount} resources={string.Join(",", w.Spec.Resources.Select(kv => kv.Key + "=" + kv.Value))}\n");
        }
        for (int t = 0; t < _taskHighWater; t++)
        {
            ref var r = ref _tasks[t];
            if (!r.Live) continue;
            sb.Append($"{r.Key}: {r.State} waitingOn={r.WaitingOn} waiters={r.Waiters} wanters={r.WanterCount} on={r.ProcessingOn} holders=[{string.Join(",", WhoHas(t).ToArray())}]");
            sb.Append($" deps=[{string.Join(",", r.Dependencies.Select(d => _tasks[d].Key + ":" + _tasks[d].State))}]");
            if (r.Constraints is { } c) sb.Append($" workers={string.Join(",", c.Workers ?? [])} loose={c.AllowOtherWorkers} resources={c.Resources?.Length ?? 0}");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static void Check(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException("SchedulerState invariant broken: " + message);
    }
}

using Shoal.Transfer;
namespace Shoal.Scheduling;

// The events the server feeds in. Each one updates the state, then settles it (Settle) so that
// the commands it produced are complete when it returns.
internal sealed partial class SchedulerState
{
    /// <summary>A client connected.</summary>
    public void AddClient(int client) => _clients.Add(client);

    /// <summary>A client left: everything it wanted is released.</summary>
    public void RemoveClient(int client)
    {
        Stimulus(StoryCause.ClientLeft);
        if (!_clients.Remove(client)) return;
        for (int t = 0; t < _taskHighWater; t++)
        {
            if (!_tasks[t].Live || _tasks[t].WanterCount == 0) continue;
            if (RemoveWanter(t, client) && !IsNeeded(t)) _releaseCandidates.Add(t);
        }
        Settle();
    }

    /// <summary>
    /// Results that were lost (held by no live worker) and came back with a worker that registered
    /// holding them: a reconnecting worker, or a replacement that took them from its result journal.
    /// </summary>
    public long ResultsRecoveredOnRegistration { get; private set; }

    /// <summary>A worker joined (or reconnected with the keys it still holds); it gets queued work at once.</summary>
    public void AddWorker(int worker, WorkerSpec spec, double now)
    {
        Stimulus(StoryCause.WorkerJoined, now, detail: spec?.Name);
        ArgumentNullException.ThrowIfNull(spec);
        if (worker < 0) throw new ArgumentOutOfRangeException(nameof(worker));
        if (worker >= _workers.Length) Array.Resize(ref _workers, Math.Max(worker + 1, _workers.Length * 2));
        if (_workers[worker] is not null) throw new InvalidOperationException($"Worker {worker} is already registered");
        var w = new WorkerRecord(worker, spec) { LastSeen = now };
        _workers[worker] = w;
        _liveWorkers.Add(worker);
        IndexWorker(w);
        if (_bytesOnWorker.Length < _workers.Length) _bytesOnWorker = new double[_workers.Length];

        foreach (var (key, nbytes) in spec.HeldKeys) HoldsKey(worker, key, nbytes, reportedHeld: true);
        RetryUnplaced();
        Settle();
    }

    /// <summary>
    /// A worker left or died. Its processing tasks are rescheduled; a task that was executing there
    /// (see <see cref="TaskStarted"/>) counts the death, and errs with a <see cref="WorkerKilledError"/>
    /// once it has outlived too many workers. Results only it held are recomputed if still needed.
    /// </summary>
    public void RemoveWorker(int worker, string cause, double now) => RemoveWorker(worker, cause, now, expected: false);

    /// <summary>
    /// A worker left; <paramref name="expected"/> (a graceful close or retirement, as Dask's
    /// <c>safe</c>) does not count against its processing tasks' allowed failures.
    /// </summary>
    public void RemoveWorker(int worker, string cause, double now, bool expected)
    {
        Stimulus(StoryCause.WorkerLeft, now, worker, cause);
        var w = WorkerOrNull(worker);
        if (w is null) return;
        UnindexWorker(w);

        // Steals towards it are off.
        if (w.IncomingSteals > 0)
            foreach (int id in _liveWorkers)
                for (int t = _workers[id]!.ProcHead; t >= 0; t = _tasks[t].ProcNext)
                    if (_tasks[t].StealThief == worker) CancelSteal(t);

        // Its processing tasks: back to waiting, or erred when they kill one worker too many. Only those that were
        // executing there count (FindSuspects); the rest were queued on it and go elsewhere for free.
        if (!expected) FindSuspects(w);
        // Tasks assigned ahead of time there go back to waiting with their inputs (no FreeKeys to the dead worker):
        // they never started, so they count no death.
        _removingWorker = worker;
        while (w.ProcHead >= 0)
        {
            int t = w.ProcHead;
            RemoveFromProcessing(t);
            if (expected || !_suspects.TryGetValue(t, out bool startReported))
            {
                BackToWaiting(t);
                continue;
            }
            if (CountDeath(t, w, cause, startReported))
            {
                SetState(t, TaskState.Waiting); // erred from a non-processing state: no FreeKeys to the dead worker
                MarkErred(t, KilledError(t));
            }
            else BackToWaiting(t);
        }
        while (w.AheadHead >= 0) // (each ahead task's chain starts at a processing task there: none should be left)
        {
            int t = w.AheadHead;
            RemoveFromProcessing(t);
            BackToWaiting(t);
        }
        _removingWorker = -1;
        _suspects.Clear();

        _liveWorkers.Remove(worker);
        _workers[worker] = null;

        // Results only it held are lost.
        foreach (int t in w.HasWhat)
        {
            RemoveFromSet(ref _tasks[t].HolderCount, ref _tasks[t].Holder0, ref _tasks[t].MoreHolders, worker);
            if (_tasks[t].HolderCount == 0 && _tasks[t].State == TaskState.Memory) LoseData(t);
        }
        w.HasWhat.Clear();
        Settle();
    }

    /// <summary>
    /// A worker finished run <paramref name="runId"/> of a task (see <see cref="RunIdOf"/>); its result
    /// (nbytes) is in the worker's memory. A report of another run is ignored: it crossed a FreeKeys
    /// (the worker drops that value) and maybe a new Compute of the same key.
    /// </summary>
    public void TaskFinished(int worker, string key, long runId, long nbytes, double start, double stop, double now)
    {
        Stimulus(StoryCause.TaskFinished, now, worker);
        if (!_keyIndex.TryGetValue(key, out int t)) return;
        var w = WorkerOrNull(worker);
        if (w is null) return; // removed meanwhile: its tasks were rescheduled
        ref var r = ref _tasks[t];
        if (IsStale(t, runId)) return;
        switch (r.State)
        {
            case TaskState.Processing when r.ProcessingOn == worker:
                LandAhead(t); // its dependents assigned ahead of time there start (or started) there
                RemoveFromProcessing(t);
                RecordDuration(r.Group, stop - start);
                ToMemory(t, worker, nbytes);
                break;
            case TaskState.Processing or TaskState.Memory or TaskState.Waiting or TaskState.Queued or TaskState.NoWorker:
                // This run left processing on this worker with a FreeKeys (lost input, released, done elsewhere), which
                // the worker gets after it sent this: it drops the value, so counting it as a holder would lose it.
                if (!SetContains(r.HolderCount, r.Holder0, r.MoreHolders, worker)) Emit(SchedulerCommandKind.FreeKeys, worker, t);
                break;
            default: // released or erred: nobody needs it
                Emit(SchedulerCommandKind.FreeKeys, worker, t);
                break;
        }
        Settle();
    }

    /// <summary>Run <paramref name="runId"/> of a task raised an error on a worker: retried while retries remain, else erred with its dependents.</summary>
    public void TaskErred(int worker, string key, long runId, TaskFailure error, double now)
    {
        ArgumentNullException.ThrowIfNull(error); // an erred task always has its error
        Stimulus(StoryCause.TaskErred, now, worker, error);
        if (!_keyIndex.TryGetValue(key, out int t)) return;
        ref var r = ref _tasks[t];
        if (IsStale(t, runId)) return;
        if (r.State != TaskState.Processing || r.ProcessingOn != worker) return;
        RemoveFromProcessing(t);
        if (r.Retries > 0)
        {
            r.Retries--;
            BackToWaiting(t);
        }
        else
        {
            SetState(t, TaskState.Waiting); // leaves processing without a FreeKeys: the worker already dropped it
            MarkErred(t, error);
        }
        Settle();
    }

    /// <summary>A worker could not get a key from its holder (-1: unknown holder); recomputed if nobody holds it.</summary>
    public void MissingData(int worker, string key, int holder, double now)
    {
        Stimulus(StoryCause.DataMissing, now, worker);
        if (!_keyIndex.TryGetValue(key, out int t)) return;
        if (_tasks[t].State != TaskState.Memory) return;
        if (holder >= 0) RemoveHolder(t, holder);
        if (_tasks[t].HolderCount == 0) LoseData(t);
        Settle();
    }

    /// <summary>
    /// The victim of a steal of run <paramref name="runId"/> answered: accepted (it had not started)
    /// moves the task to the thief. An answer about an earlier run is ignored (the worker dropped that
    /// run; the current one, sent after it, is not affected).
    /// </summary>
    public void StealResponse(int worker, string key, long runId, bool accepted, double now)
    {
        Stimulus(StoryCause.StealAnswered, now, worker, accepted ? "accepted" : "refused");
        if (!_keyIndex.TryGetValue(key, out int t)) return;
        ref var r = ref _tasks[t];
        if (IsStale(t, runId)) return;
        if (r.State != TaskState.Processing || r.ProcessingOn != worker) return;
        int thief = r.StealThief;
        CancelSteal(t);
        // Accepted means the victim dropped the task, even if the steal was called off meanwhile
        // (its thief died): then it is placed afresh.
        if (!accepted) return;
        RemoveFromProcessing(t);
        var tw = WorkerOrNull(thief);
        if (tw is not null && IsValid(tw, r.Constraints) && HasFreeResources(tw, r.Constraints)) Assign(t, thief);
        else BackToWaiting(t);
        Settle();
    }

    /// <summary>
    /// Whether a worker's answer names a run other than the task's current one. Such an answer was
    /// sent before the worker got the FreeKeys (or steal) that ended that run, and may arrive after a
    /// new Compute of the same key: taken for the new run's answer, it would count a holder that is
    /// only recomputing the value, or move a task that runs. Counted in <see cref="StaleAnswers"/>.
    /// </summary>
    private bool IsStale(int t, long runId)
    {
        if (runId == _tasks[t].RunId) return false;
        _staleAnswers++;
        return true;
    }

    /// <summary>A worker reports that it holds more keys (e.g. after fetching them).</summary>
    public void AddKeys(int worker, IReadOnlyList<KeyValuePair<string, long>> keys, double now)
    {
        Stimulus(StoryCause.KeysAdded, now, worker);
        if (WorkerOrNull(worker) is null) return;
        for (int i = 0; i < keys.Count; i++) HoldsKey(worker, keys[i].Key, keys[i].Value, reportedHeld: false);
        Settle();
    }

    /// <summary>A worker holds a key: a replica of a result, or (on reconnect) a result we no longer had.</summary>
    private void HoldsKey(int worker, string key, long nbytes, bool reportedHeld)
    {
        if (!_keyIndex.TryGetValue(key, out int t))
        {
            // Forgotten meanwhile (e.g. a replica reported after its release): the worker must drop it, or it
            // keeps it forever. A slot freed at once names the key for the FreeKeys command until ClearCommands.
            t = AllocateSlot();
            _tasks[t] = default;
            _tasks[t].Key = key;
            _slotsFreedThisRound.Add(t);
            Emit(SchedulerCommandKind.FreeKeys, worker, t);
            return;
        }
        if (!reportedHeld && _freedOn.TryGetValue(t, out int freedOn) && freedOn == worker)
        {
            // The scheduler called a run of this key off on this worker with a FreeKeys that may have crossed this
            // report: the worker may have dropped the value since. Not counted; dropped there in case it has it.
            Emit(SchedulerCommandKind.FreeKeys, worker, t);
            return;
        }
        switch (_tasks[t].State)
        {
            case TaskState.Memory:
                AddHolder(t, worker);
                break;
            case TaskState.Processing when _tasks[t].ProcessingOn == worker:
                // Its own copy (gathered before it was asked to compute it): done there, not to be freed there.
                LandAhead(t);
                RemoveFromProcessing(t);
                ToMemory(t, worker, nbytes);
                break;
            case TaskState.Waiting or TaskState.Queued or TaskState.NoWorker or TaskState.Processing or TaskState.Restoring:
            case TaskState.Released when reportedHeld:
                // A copy of a result being recomputed (its other holders died): use it rather than free it.
                if (reportedHeld) ResultsRecoveredOnRegistration++;
                ToMemory(t, worker, nbytes);
                break;
            default:
                Emit(SchedulerCommandKind.FreeKeys, worker, t);
                break;
        }
    }

    /// <summary>A worker's periodic load report.</summary>
    public void Heartbeat(int worker, WorkerLoad load, double now)
    {
        Stimulus(StoryCause.Heartbeat, now, worker);
        var w = WorkerOrNull(worker);
        if (w is null) return;
        w.Load = load;
        w.LastSeen = now;
    }

    /// <summary>Periodic work (~every 100 ms): work stealing.</summary>
    public void Tick(double now)
    {
        Stimulus(StoryCause.Tick, now);
        if (_config.WorkStealing) Steal();
        Settle();
    }

    /// <summary>A worker gives run <paramref name="runId"/> of a task back (it asked to be rescheduled): placed again.</summary>
    public void Reschedule(int worker, string key, long runId, double now)
    {
        Stimulus(StoryCause.Rescheduled, now, worker);
        if (!_keyIndex.TryGetValue(key, out int t)) return;
        if (IsStale(t, runId)) return;
        ref var r = ref _tasks[t];
        if (r.State != TaskState.Processing || r.ProcessingOn != worker) return;
        RemoveFromProcessing(t);
        BackToWaiting(t);
        Settle();
    }

    /// <summary>A client no longer wants these keys; what nobody needs is released.</summary>
    public void ReleaseKeys(int client, IReadOnlyList<string> keys, double now)
    {
        Stimulus(StoryCause.KeysReleased, now);
        for (int i = 0; i < keys.Count; i++) // (an index loop: foreach over an interface allocates)
        {
            if (!_keyIndex.TryGetValue(keys[i], out int t)) continue;
            if (RemoveWanter(t, client) && !IsNeeded(t)) _releaseCandidates.Add(t);
        }
        Settle();
    }

    /// <summary>
    /// A client cancels keys: its want on them (and on their dependents it wants) is dropped,
    /// it gets KeyCancelled for each, and what nobody else needs is released (FreeKeys for
    /// processing ones).
    /// </summary>
    public void CancelKeys(int client, IReadOnlyList<string> keys, double now)
    {
        Stimulus(StoryCause.KeysCancelled, now);
        var seen = new HashSet<int>();
        var walk = new Stack<int>();
        for (int k = 0; k < keys.Count; k++)
        {
            if (!_keyIndex.TryGetValue(keys[k], out int root) || !seen.Add(root)) continue;
            walk.Push(root);
            while (walk.Count > 0)
            {
                int t = walk.Pop();
                bool wanted = RemoveWanter(t, client);
                if (wanted || t == root) EmitToClient(SchedulerCommandKind.KeyCancelled, client, t);
                if (!IsNeeded(t)) _releaseCandidates.Add(t);
                ref var r = ref _tasks[t];
                for (int i = 0; i < r.DependentCount; i++)
                {
                    int d = r.Dependents[i];
                    if (seen.Add(d) && Wants(d, client)) walk.Push(d);
                }
            }
        }
        Settle();
    }

    /// <summary>
    /// A client placed data directly on workers (scatter, or broadcast to several): the keys
    /// are in memory there.
    /// </summary>
    /// <param name="client">The client that scattered.</param>
    /// <param name="keys">Keys with their sizes.</param>
    /// <param name="workers">The workers that received every key.</param>
    /// <param name="wanted">The client holds futures of them.</param>
    /// <param name="now">Current time.</param>
    /// <param name="generations">Per key, the generation of its put (0 or null: none); see <see cref="ScatterGenerationOf"/>.</param>
    public void ScatterData(int client, IReadOnlyList<KeyValuePair<string, long>> keys, IReadOnlyList<int> workers, bool wanted, double now,
        IReadOnlyList<ulong>? generations = null)
    {
        Stimulus(StoryCause.DataScattered, now);
        for (int k = 0; k < keys.Count; k++)
        {
            var (key, nbytes) = keys[k];
            if (!_keyIndex.TryGetValue(key, out int t))
            {
                t = CreateTask(key, null);
                _tasks[t].Dependencies = NoTasks;
                _tasks[t].IsScattered = true;
                _tasks[t].Sequence = _nextSequence++;
            }
            if (wanted) AddWanter(t, client);
            bool first = true;
            for (int i = 0; i < workers.Count; i++)
            {
                int worker = workers[i];
                if (WorkerOrNull(worker) is null) continue;
                if (generations is not null && generations[k] != 0)
                    (_tasks[t].ScatterGenerations ??= [])[worker] = generations[k];
                if (first && _tasks[t].State != TaskState.Memory) ToMemory(t, worker, nbytes);
                else AddHolder(t, worker);
                first = false;
            }
            if (_tasks[t].State == TaskState.Released && _tasks[t].IsScattered)
                MarkErred(t, new DataLostError(key)); // no live worker received it
            if (!IsNeeded(t)) _releaseCandidates.Add(t);
        }
        Settle();
    }

    /// <summary>
    /// The generation of the put by which <paramref name="worker"/> received scattered <paramref name="task"/>, or 0
    /// (computed, copied from a peer, or put without one). Valid for a FreeKeys command until the commands are cleared.
    /// </summary>
    public ulong ScatterGenerationOf(int task, int worker) =>
        _tasks[task].ScatterGenerations is { } generations && generations.TryGetValue(worker, out var g) ? g : 0;
}

namespace Shoal.Scheduling;

// Clients as holders of last resort. A client that fetched a result and still wants it holds a
// copy: when every worker holding the result dies, the client is asked to put it back on a live
// worker (RestoreKeys) instead of the task being computed again. If it cannot (it left, the
// worker it was sent to died too, it no longer has the value), the result is recomputed as
// any lost result is.
internal sealed partial class SchedulerState
{
    // Tasks being restored: task -> (client putting it back, worker it goes to).
    private readonly Dictionary<int, (int Client, int Worker)> _restoring = new();

    // The worker each task's last run was called off on with a FreeKeys (task -> worker). That FreeKeys may still be
    // on its way when the task is lost and restored: the client's value, put on that worker by another connection,
    // could arrive first and be dropped by it, while the scheduler counts the worker as its holder (a simulation seed
    // deadlocked on it). So a restore never goes there; with no other worker, the result is recomputed (a Compute
    // to that worker follows the FreeKeys on the same connection).
    private readonly Dictionary<int, int> _freedOn = new();

    /// <summary>The worker a result being restored goes to (valid for a RestoreKeys command until <see cref="ClearCommands"/>).</summary>
    public int RestoreTargetOf(int task) => _restoring.TryGetValue(task, out var r) ? r.Worker : -1;

    /// <summary>The client holding a task's result as the holder of last resort, -1 when none.</summary>
    public int ClientHolderOf(int task) => _tasks[task].ClientHolder;

    /// <summary>
    /// A client fetched these results and keeps them: it becomes their holder of last resort while it
    /// wants them. Keys it does not want, or not in memory, are ignored.
    /// </summary>
    public void ClientHolds(int client, IReadOnlyList<string> keys, double now)
    {
        Stimulus(StoryCause.ClientHolds, now);
        if (!_clients.Contains(client)) return;
        for (int i = 0; i < keys.Count; i++)
        {
            if (!_keyIndex.TryGetValue(keys[i], out int t)) continue;
            ref var r = ref _tasks[t];
            if (r.ClientHolder < 0 && r.State == TaskState.Memory && Wants(t, client)) r.ClientHolder = client;
        }
    }

    /// <summary>
    /// A client answered a RestoreKeys: <paramref name="restored"/> are now on <paramref name="worker"/>
    /// (-1: a worker the scheduler no longer knows); <paramref name="missing"/> it could not put back.
    /// What is not back in memory is computed again.
    /// </summary>
    public void RestoreFinished(int client, int worker, IReadOnlyList<KeyValuePair<string, long>> restored, IReadOnlyList<string> missing, double now)
    {
        Stimulus(StoryCause.RestoreFinished, now, worker);
        bool workerAlive = WorkerOrNull(worker) is not null;
        for (int i = 0; i < restored.Count; i++)
        {
            var (key, nbytes) = restored[i];
            if (workerAlive) HoldsKey(worker, key, nbytes, reportedHeld: false);
            else if (_keyIndex.TryGetValue(key, out int t) && IsRestoringBy(t, client)) RestoreFailed(t, freeOnTarget: false);
        }
        for (int i = 0; i < missing.Count; i++)
        {
            if (!_keyIndex.TryGetValue(missing[i], out int t)) continue;
            if (_tasks[t].ClientHolder == client) _tasks[t].ClientHolder = -1; // it has no copy after all
            if (IsRestoringBy(t, client)) RestoreFailed(t, freeOnTarget: false);
        }
        Settle();
    }

    private bool IsRestoringBy(int task, int client) =>
        _tasks[task].State == TaskState.Restoring && _restoring.TryGetValue(task, out var r) && r.Client == client;

    /// <summary>From LoseData: a lost result that a connected client wanting it holds goes to Restoring. False when there is none (or no live worker to put it on).</summary>
    private bool TryRestoreFromClient(int task)
    {
        ref var r = ref _tasks[task];
        int client = r.ClientHolder;
        if (client < 0 || !_clients.Contains(client) || !Wants(task, client)) return false;
        int target = RestoreTarget(_freedOn.GetValueOrDefault(task, -1));
        if (target < 0) return false;
        SetState(task, TaskState.Restoring);
        _restoring[task] = (client, target);
        Emit(SchedulerCommandKind.RestoreKeys, client, task);
        return true;
    }

    /// <summary>The live, open worker other than <paramref name="avoid"/> with the least work and data; -1 when there is none (then the result is recomputed).</summary>
    private int RestoreTarget(int avoid)
    {
        int best = -1;
        foreach (int id in _liveWorkers)
        {
            var w = _workers[id]!;
            if (w.Closing) continue;
            if (id == avoid) continue;
            if (best < 0 || (w.Occupancy, w.NbytesHeld).CompareTo((_workers[best]!.Occupancy, _workers[best]!.NbytesHeld)) < 0) best = id;
        }
        return best;
    }

    /// <summary>
    /// A restore did not happen: restoring -> released, and recomputed if still needed (as LoseData
    /// would have). <paramref name="freeOnTarget"/>: the client gave up without answering, and may
    /// have put the value on the target already; the target drops it (a FreeKeys for a key it does
    /// not have is a no-op), or it would keep a copy nobody knows of.
    /// </summary>
    private void RestoreFailed(int task, bool freeOnTarget)
    {
        if (freeOnTarget && _restoring.TryGetValue(task, out var restore) && WorkerOrNull(restore.Worker) is not null)
            Emit(SchedulerCommandKind.FreeKeys, restore.Worker, task);
        SetState(task, TaskState.Released);
        if (IsNeeded(task))
        {
            EmitToWanters(SchedulerCommandKind.KeyLost, task);
            MakeWaiting(task);
        }
        else _releaseCandidates.Add(task);
    }

    /// <summary>The client stopped wanting the task (released, cancelled, left): it is no longer its holder.</summary>
    private void ClientStopsHolding(int task)
    {
        _tasks[task].ClientHolder = -1;
        // A restore it owed is off; whoever else needs the task gets it recomputed.
        if (_tasks[task].State == TaskState.Restoring) RestoreFailed(task, freeOnTarget: true);
    }
}

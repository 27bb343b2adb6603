namespace Shoal.Execution;

// A running task that waits on other tasks gives up its slot (Dask's secede) so that a ready task, perhaps one of
// those it waits for, can run in its place; when it wants to compute again it asks for a slot back (rejoin) and is
// granted the next one that frees, before any ready task starts. A seceded task still runs: it still ends with
// ExecuteSuccess or ExecuteFailure, which then frees no slot (it holds none).
internal sealed partial class WorkerState
{
    // Seceded tasks that asked to rejoin, in the order they asked.
    private readonly Queue<WorkerTask> _rejoining = new();

    /// <summary>Seceded tasks: running, holding no slot.</summary>
    public int SecededCount { get; private set; }

    /// <summary>The running task <paramref name="key"/> gives up its slot while it waits on other tasks.</summary>
    /// <remarks>Emits <see cref="TaskSecededMsg"/> (the scheduler then stops counting it against this worker's slots)
    /// and starts whatever the freed slot allows. Ignored for a task not running or already seceded.</remarks>
    public IReadOnlyList<WorkerInstruction> Secede(string key, double now)
    {
        _story.Stimulus("secede", now);
        if (!_tasks.TryGetValue(key, out var ts) || !ts.Running || ts.Seceded) return Finish();
        ts.Seceded = true;
        SecededCount++;
        _runningCount--;
        if (ts.State == WorkerTaskState.Executing) Emit(new TaskSecededMsg(key, ts.RunId));
        EnsureComputing();
        return Finish();
    }

    /// <summary>The seceded task <paramref name="key"/> wants a slot again.</summary>
    /// <remarks>Granted at once (<see cref="RejoinGranted"/>) when a slot is free, else when one frees, before any
    /// ready task. A task not seceded (or no longer known) is granted at once: it holds its slot, or runs no more.</remarks>
    public IReadOnlyList<WorkerInstruction> Rejoin(string key, double now)
    {
        _story.Stimulus("rejoin", now);
        if (!_tasks.TryGetValue(key, out var ts) || !ts.Running || !ts.Seceded)
        {
            Emit(new RejoinGranted(key));
            return Finish();
        }
        if (!ts.WaitsToRejoin)
        {
            ts.WaitsToRejoin = true;
            _rejoining.Enqueue(ts);
        }
        GrantRejoins();
        return Finish();
    }

    /// <summary>Gives free slots to seceded tasks waiting to rejoin, first come first served.</summary>
    private void GrantRejoins()
    {
        while (_rejoining.Count > 0 && _runningCount < _config.NThreads)
        {
            var ts = _rejoining.Dequeue();
            if (!ts.WaitsToRejoin) continue; // ended meanwhile
            ts.WaitsToRejoin = false;
            ts.Seceded = false;
            SecededCount--;
            _runningCount++;
            Emit(new RejoinGranted(ts.Key));
        }
    }

    /// <summary>A seceded task ends: it held no slot, so none is freed.</summary>
    /// <returns>True when the task was seceded (the caller must not count a slot freed).</returns>
    private bool EndSecession(WorkerTask ts)
    {
        if (!ts.Seceded) return false;
        ts.Seceded = false;
        ts.WaitsToRejoin = false; // its queue entry is skipped
        SecededCount--;
        return true;
    }
}

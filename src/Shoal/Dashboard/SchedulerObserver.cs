namespace Shoal.Dashboard;

/// <summary>
/// What the scheduler loop hands to observers (the dashboard, metrics, performance reports)
/// without ever waiting for them: a ring of task events it writes as tasks finish, and snapshots
/// of its books it copies on a tick only when an observer asked for one since the last tick.
/// Nobody watching costs a few stores per task and a flag test per tick.
/// </summary>
internal sealed class SchedulerObserver
{
    private SchedulerSnapshot? _latest;
    private int _snapshotWanted;

    /// <param name="stateNames">The name of each task state, indexed as the snapshots' per-state counts are
    /// (the scheduler's vocabulary: observers show them, they do not interpret the scheduler's enum).</param>
    /// <param name="ringCapacity">Task events kept for readers that fall behind.</param>
    public SchedulerObserver(IReadOnlyList<string> stateNames, int ringCapacity = 1 << 15)
    {
        StateNames = stateNames;
        Stream = new TaskStreamRing(ringCapacity);
    }

    /// <summary>The name of each task state, in the order of the snapshots' per-state counts (snake_case, as shown).</summary>
    public IReadOnlyList<string> StateNames { get; }

    /// <summary>Task events, written by the scheduler loop only.</summary>
    public TaskStreamRing Stream { get; }

    /// <summary>The latest snapshot, null before the first one.</summary>
    public SchedulerSnapshot? Latest => Volatile.Read(ref _latest);

    /// <summary>Observer side: asks the loop for a fresh snapshot at its next tick.</summary>
    public void RequestSnapshot() => Volatile.Write(ref _snapshotWanted, 1);

    /// <summary>Loop side: whether someone asked for a snapshot since the last one (and clears the request).</summary>
    public bool TakeSnapshotRequest() => Volatile.Read(ref _snapshotWanted) != 0 && Interlocked.Exchange(ref _snapshotWanted, 0) != 0;

    /// <summary>Loop side: publishes a snapshot.</summary>
    public void Publish(SchedulerSnapshot snapshot) => Volatile.Write(ref _latest, snapshot);
}

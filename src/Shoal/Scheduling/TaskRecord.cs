namespace Shoal.Scheduling;

/// <summary>
/// Everything the scheduler knows about one task, stored by value in one array indexed by task
/// id so the hot path touches no dictionaries and allocates nothing. Rarely used data
/// (restrictions, errors, failure history) lives in side tables.
/// </summary>
internal struct TaskRecord
{
    public string Key;
    public Transfer.TaskPayload? RunSpec;
    /// <summary>Ids of the tasks it depends on (shared empty array for roots).</summary>
    public int[] Dependencies;
    /// <summary>Ids of the tasks that depend on it; the first <see cref="DependentCount"/> are live.</summary>
    public int[] Dependents;
    /// <summary>Holders beyond the first (null while one or none).</summary>
    public int[]? MoreHolders;
    /// <summary>Clients beyond the first that want it (null while one or none).</summary>
    public int[]? MoreWanters;
    /// <summary>Worker restrictions and resources, if any.</summary>
    public TaskConstraints? Constraints;

    /// <summary>User priority, higher first.</summary>
    public long UserPriority;
    /// <summary>Global submission sequence: earlier graphs first, and within a graph dependencies before dependents.</summary>
    public long Sequence;
    /// <summary>Result size in bytes, -1 unknown.</summary>
    public long Nbytes;
    /// <summary>Id of its latest assignment to a worker (0: never assigned); answers naming another run are stale.</summary>
    public long RunId;

    public int Group;
    public int Retries;
    public int DependentCount;
    /// <summary>Dependencies not in memory (meaningful while waiting).</summary>
    public int WaitingOn;
    /// <summary>Dependents in waiting/queued/no-worker/processing: they still need this result.</summary>
    public int Waiters;
    /// <summary>Worker it is processing on, -1 otherwise.</summary>
    public int ProcessingOn;
    /// <summary>Neighbours in the worker's intrusive processing list.</summary>
    public int ProcPrev, ProcNext;
    public int HolderCount;
    /// <summary>First (or only) holder.</summary>
    public int Holder0;
    public int WanterCount;
    public int Wanter0;
    /// <summary>Position in the root queue heap, -1 when not in it.</summary>
    public int HeapIndex;
    /// <summary>Thief of a pending steal, -1 when none.</summary>
    public int StealThief;
    /// <summary>While <see cref="Ahead"/>: the one input it still waits for, processing on the same worker.</summary>
    public int AheadInput;
    /// <summary>Dependents assigned ahead of time to this task's worker, waiting for this task (see SchedulerState.AheadOfTime.cs).</summary>
    public int AheadDependents;
    /// <summary>A client that fetched the result and still wants it (holder of last resort), -1 when none.</summary>
    public int ClientHolder;
    /// <summary>Workers that died while it was executing on them, in half deaths: 2 for a reported start, 1 for a guess (see SchedulerState.CountDeath).</summary>
    public int Suspicious;
    /// <summary>Occupancy (seconds) added to its worker when assigned, subtracted exactly when it leaves.</summary>
    public float AssignedDuration;
    public TaskState State;
    /// <summary>Its worker reported it started (TaskStarted for the current run), and no answer ended that run yet.</summary>
    public bool Executing;
    /// <summary>It seceded from its worker's slots (waits on other tasks): counted in <see cref="WorkerRecord.LongRunning"/>.</summary>
    public bool LongRunning;
    /// <summary>Assigned ahead of time: processing on the worker computing its only missing input (<see cref="AheadInput"/>),
    /// on that worker's ahead list; it holds no slot and no occupancy until the input lands.</summary>
    public bool Ahead;
    /// <summary>Data placed by a client (scatter): it has no run spec and cannot be recomputed.</summary>
    public bool IsScattered;
    /// <summary>Scattered data only: the generation of the put each worker received (worker id -> generation), sent
    /// with a FreeKeys so that the worker tells a free of this put from a later scatter of the same key.</summary>
    public Dictionary<int, ulong>? ScatterGenerations;
    /// <summary>True while the slot is in use (false on the free list).</summary>
    public bool Live;
}

/// <summary>Worker restrictions and abstract resources of one task.</summary>
internal sealed class TaskConstraints
{
    public HashSet<string>? Workers;
    public bool AllowOtherWorkers;
    public KeyValuePair<string, double>[]? Resources;
    public IReadOnlyDictionary<string, double>? ResourcesAsGiven;

    /// <summary>Whether it needs more than "any worker, no resources".</summary>
    public bool IsHard => (Workers is not null && !AllowOtherWorkers) || Resources is not null;
}

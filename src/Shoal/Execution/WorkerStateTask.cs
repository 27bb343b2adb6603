using Shoal.Transfer;
namespace Shoal.Execution;

/// <summary>Everything <see cref="WorkerState"/> knows about one key. Mutable, owned by the state machine.</summary>
internal sealed class WorkerTask
{
    internal static readonly WorkerTask[] NoTasks = [];

    internal WorkerTask(string key, long sequence)
    {
        Key = key;
        Sequence = sequence;
    }

    /// <summary>The key.</summary>
    public readonly string Key;

    /// <summary>Where its transitions are told (the owning state's story); null: not recorded.</summary>
    internal WorkerStory? Story;

    private WorkerTaskState _state = WorkerTaskState.Released;

    /// <summary>Current state; <see cref="WorkerTaskState.Released"/> once forgotten. Every change is recorded in <see cref="Story"/>.</summary>
    public WorkerTaskState State
    {
        get => _state;
        set
        {
            if (_state != value) Story?.Record(Key, _state, value);
            _state = value;
        }
    }

    /// <summary>For Cancelled and Resumed: the operation still running (Executing or Flight).</summary>
    public WorkerTaskState Previous;

    /// <summary>For Resumed: what the key becomes if that operation fails (Fetch or Waiting).</summary>
    public WorkerTaskState Next;

    /// <summary>True once the scheduler asked to compute this key here (run spec below is meaningful).</summary>
    public bool HasCompute;

    /// <summary>The generation of the client's put that placed its value here (scatter), or 0: a FreeKeys naming another
    /// generation was overtaken by a later scatter of the same key and does not release it.</summary>
    public ulong PutGeneration;

    /// <summary>Opaque run spec of a compute task.</summary>
    public TaskPayload? RunSpec;

    /// <summary>Run id of the latest compute request for this key; echoed in the answers about it.</summary>
    public long RunId;

    /// <summary>Smaller first. For a dependency, the smallest priority of the tasks that wanted it.</summary>
    public long Priority;

    /// <summary>Tie-breaker and queue-entry identity: unique per (task, enqueue generation), grows with arrival.</summary>
    public long Sequence;

    /// <summary>Inputs of a compute task (attached while the task is not finished).</summary>
    public WorkerTask[] Dependencies = NoTasks;

    /// <summary>Unfinished local compute tasks that need this key.</summary>
    public HashSet<WorkerTask>? Dependents;

    /// <summary>Number of <see cref="Dependencies"/> not in memory.</summary>
    public int PendingDependencies;

    /// <summary>Peers that hold this key (never our own address).</summary>
    public HashSet<string>? Holders;

    /// <summary>The peer a gather for this key is running against.</summary>
    public string? CopingFrom;

    /// <summary>Size in bytes: estimated for dependencies not yet here, measured once in memory.</summary>
    public long Nbytes;

    /// <summary>Abstract resources a compute task holds while it executes.</summary>
    public IReadOnlyDictionary<string, double>? Resources;

    /// <summary>The scheduler holds a reference to this key here: it asked us to compute it, or we told it we hold the
    /// value (task done, add-keys, scatter). Cleared by free-keys.</summary>
    public bool WantedByScheduler;

    /// <summary>True while the task occupies an execution slot (Executing, or Cancelled/Resumed from Executing).</summary>
    public bool Running;

    /// <summary>Running, but gave up its slot while it waits on other tasks (see <see cref="WorkerState.Secede"/>).</summary>
    public bool Seceded;

    /// <summary>Seceded and asked for a slot back; not granted yet.</summary>
    public bool WaitsToRejoin;

    /// <summary>Size of a value scattered for this key while it was executing, or -1. If the execution then fails, the
    /// scattered value stands in for the result.</summary>
    public long PutNbytes = -1;

    /// <summary>Start and stop of the execution (or of the arrival, for gathered and scattered values).</summary>
    public double Start, Stop;

    /// <summary>The error of a failed task.</summary>
    public TaskErrorPayload? Error;

    /// <summary>For Resumed from Flight: the compute request to apply if the gather does not deliver.</summary>
    public ComputeRequest? PendingRequest;

    public bool HasDependents => Dependents is { Count: > 0 };

    public HashSet<string> EnsureHolders() => Holders ??= new HashSet<string>(StringComparer.Ordinal);

    public override string ToString() => $"<{Key}: {State}>";
}

/// <summary>Orders tasks by (priority, sequence); sequences are unique so no two tasks compare equal.</summary>
internal sealed class WorkerTaskPriorityComparer : IComparer<WorkerTask>
{
    public static readonly WorkerTaskPriorityComparer Instance = new();

    public int Compare(WorkerTask? x, WorkerTask? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int c = x.Priority.CompareTo(y.Priority);
        return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
    }
}

/// <summary>Priority-queue key: priority, then arrival sequence.</summary>
internal readonly record struct WorkerTaskQueueKey(long Priority, long Sequence) : IComparable<WorkerTaskQueueKey>
{
    public int CompareTo(WorkerTaskQueueKey other)
    {
        int c = Priority.CompareTo(other.Priority);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }
}

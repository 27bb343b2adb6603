using Shoal.Transfer;
namespace Shoal.Execution;

/// <summary>
/// The worker's decisions as a pure state machine (the "sans-I/O" worker): every event method takes what happened and
/// returns the instructions to carry out. No sockets, threads, clocks or I/O; times are passed in. Not thread-safe:
/// the server calls it from one loop.
/// </summary>
/// <remarks>
/// <para>Each event returns a fresh list (or a shared empty array when nothing is to be done); the caller may keep it.
/// Within one list the order is: messages and releases caused by the event itself, then <see cref="Execute"/>s for
/// newly started tasks, then <see cref="GatherDep"/>s for newly started gathers.</para>
/// <para>Reference keeping: a key stays while the scheduler holds a reference to it here (it asked to compute it, or
/// was told the worker holds it: task-done, add-keys, scatter) or while an unfinished local task needs it. Values
/// gathered from peers are reported with <see cref="AddKeysMsg"/> and stay as replicas until free-keys.</para>
/// </remarks>
internal sealed partial class WorkerState
{
    private static readonly WorkerInstruction[] NoInstructions = [];

    private readonly WorkerStateConfig _config;
    private readonly WorkerStory _story;
    private readonly Dictionary<string, WorkerTask> _tasks = new(StringComparer.Ordinal);

    // Execution.
    private readonly PriorityQueue<WorkerTask, WorkerTaskQueueKey> _ready = new();
    private readonly PriorityQueue<WorkerTask, WorkerTaskQueueKey> _constrained = new();
    private readonly Dictionary<string, double> _availableResources = new(StringComparer.Ordinal);
    private int _readyCount;
    private int _constrainedCount;
    private int _runningCount;
    private bool _paused;

    // Transfers: fetch tasks per holder, ordered by priority; gathers in flight per peer.
    private readonly Dictionary<string, SortedSet<WorkerTask>> _dataNeeded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<WorkerTask>> _inFlight = new(StringComparer.Ordinal);
    // The instance id each peer address had as far as the scheduler last told (see DependencySpec.HolderInstances),
    // and the one each gather in flight was aimed at.
    private readonly Dictionary<string, string> _peerInstances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _inFlightInstances = new(StringComparer.Ordinal);
    private readonly HashSet<WorkerTask> _missing = new();

    private long _managedBytes;
    private int _memoryCount;
    private long _sequence;

    // Instructions of the event being handled; null until the first one.
    private List<WorkerInstruction>? _out;

    /// <summary>Creates the state of an idle worker.</summary>
    /// <param name="config">Settings; read at construction (resources) and on every event (limits).</param>
    public WorkerState(WorkerStateConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.NThreads < 1) throw new ArgumentOutOfRangeException(nameof(config), "NThreads must be at least 1.");
        _config = config;
        _story = new WorkerStory(config.StoryLength);
        foreach (var kv in config.Resources) _availableResources[kv.Key] = kv.Value;
    }

    /// <summary>The settings this state was built with.</summary>
    public WorkerStateConfig Config => _config;

    /// <summary>Number of occupied execution slots (including tasks whose outcome will be dropped).</summary>
    public int Executing => _runningCount;

    /// <summary>Number of tasks ready to run (ready plus constrained), waiting for a slot or for resources.</summary>
    public int ReadyCount => _readyCount + _constrainedCount;

    /// <summary>Sum of the sizes of the values in memory.</summary>
    public long ManagedBytes => _managedBytes;

    /// <summary>Number of keys in memory.</summary>
    public int MemoryCount => _memoryCount;

    /// <summary>Number of keys tracked in any state.</summary>
    public int TaskCount => _tasks.Count;

    /// <summary>Number of gathers in flight.</summary>
    public int TransferIncomingCount => _inFlight.Count;

    /// <summary>True between <see cref="Pause"/> and <see cref="Unpause"/>.</summary>
    public bool IsPaused => _paused;

    /// <summary>Keys in memory with their sizes (walks all tracked keys; not for hot paths).</summary>
    public IEnumerable<KeyValuePair<string, long>> DataKeys
    {
        get
        {
            foreach (var ts in _tasks.Values)
                if (ts.State == WorkerTaskState.Memory) yield return new KeyValuePair<string, long>(ts.Key, ts.Nbytes);
        }
    }

    /// <summary>Dependencies with no known holder; the server may ask the scheduler where they are and answer
    /// with <see cref="UpdateWhoHas"/>.</summary>
    public IEnumerable<string> MissingKeys
    {
        get
        {
            foreach (var ts in _missing) yield return ts.Key;
        }
    }

    /// <summary>Abstract resources currently free.</summary>
    public IReadOnlyDictionary<string, double> AvailableResources => _availableResources;

    /// <summary>The run spec of a task to compute here, or null.</summary>
    /// <param name="key">Key of the task.</param>
    public TaskPayload? RunSpecOf(string key) => _tasks.TryGetValue(key, out var ts) ? ts.RunSpec : null;

    /// <summary>Keys of the inputs of a task to compute here, in request order (duplicates removed); empty once the task
    /// has finished or when it is unknown. Valid while the task executes: its inputs are in memory then.</summary>
    /// <param name="key">Key of the task.</param>
    public IReadOnlyList<string> DependencyKeysOf(string key)
    {
        if (!_tasks.TryGetValue(key, out var ts) || ts.Dependencies.Length == 0) return Array.Empty<string>();
        var keys = new string[ts.Dependencies.Length];
        for (int i = 0; i < keys.Length; i++) keys[i] = ts.Dependencies[i].Key;
        return keys;
    }

    /// <summary>The state of a key, or null when it is not tracked.</summary>
    /// <param name="key">The key.</param>
    public WorkerTaskState? StateOf(string key) => _tasks.TryGetValue(key, out var ts) ? ts.State : null;

    /// <summary>Size of a key in memory (or its estimate), or null when not tracked.</summary>
    /// <param name="key">The key.</param>
    public long? NbytesOf(string key) => _tasks.TryGetValue(key, out var ts) ? ts.Nbytes : null;

    /// <summary>The transitions of <paramref name="key"/> this worker still remembers, oldest first (see <see cref="WorkerStateConfig.StoryLength"/>).</summary>
    public IReadOnlyList<WorkerTransition> StoryOf(string key) => _story.Of(key);

    /// <summary>Stop starting tasks (running ones finish); gathers drop to one at a time.</summary>
    public IReadOnlyList<WorkerInstruction> Pause()
    {
        _story.Stimulus("pause");
        _paused = true;
        return Finish();
    }

    /// <summary>Resume starting tasks and gathers.</summary>
    public IReadOnlyList<WorkerInstruction> Unpause()
    {
        _story.Stimulus("unpause");
        _paused = false;
        return Finish();
    }

    private void Emit(WorkerInstruction instruction) => (_out ??= new List<WorkerInstruction>(4)).Add(instruction);

    /// <summary>Ends an event: starts what can start, validates if asked, hands over the instructions.</summary>
    private IReadOnlyList<WorkerInstruction> Finish()
    {
        EnsureComputing();
        EnsureCommunicating();
        if (_config.ValidateAfterEveryEvent) Validate();
        IReadOnlyList<WorkerInstruction> result = _out is null ? NoInstructions : _out;
        _out = null;
        return result;
    }

    private WorkerTask GetOrCreate(string key, out bool created)
    {
        if (_tasks.TryGetValue(key, out var ts))
        {
            created = false;
            return ts;
        }
        ts = new WorkerTask(key, ++_sequence) { Story = _story };
        _tasks.Add(key, ts);
        created = true;
        return ts;
    }
}

using Shoal.Transfer;
using System.Runtime.InteropServices;

namespace Shoal.Scheduling;

/// <summary>
/// The scheduler's decisions as a pure state machine (sans I/O, as Dask's scheduler transitions
/// and worker_state_machine.py): the server feeds it events (graphs, finished tasks, workers
/// coming and going, clock ticks) and turns the <see cref="Commands"/> it accumulates into
/// messages. It owns no sockets, clocks, threads or randomness, so tests drive it event by event.
/// </summary>
/// <remarks>
/// Tasks and workers are small integers; a task's data lives in one struct array so that the
/// hot path (compute, finish) touches no dictionary but the key lookup and allocates nothing.
/// Task ids named by commands stay valid (for <see cref="KeyOf"/> and the other lookups) until
/// <see cref="ClearCommands"/>: freed slots are recycled only then. Not thread-safe.
/// <para>How a server drives it: call an event method, walk <see cref="Commands"/>, turn each
/// into a message, then <see cref="ClearCommands"/>. Compute → the worker gets the key, run
/// spec, <see cref="RunOrderOf"/> (or <see cref="PriorityOf"/>), resources, and for each of
/// <see cref="DependenciesOf"/> its key, <see cref="NbytesOf"/> and <see cref="WhoHas"/>
/// (worker ids). FreeKeys → the worker drops the task (cancelling it if running) and its data.
/// StealRequest → the victim answers, fed back as <see cref="StealResponse"/>. KeyInMemory /
/// KeyErred (<see cref="ErrorOf"/>) / KeyCancelled / KeyLost go to clients. Call
/// <see cref="Tick"/> about every 100 ms, and keep <see cref="SchedulerConfig.RoundTrip"/>
/// up to date: it sizes how many tiny root tasks each worker gets ahead of time.</para>
/// </remarks>
internal sealed partial class SchedulerState
{
    private static readonly int[] NoTasks = [];

    private readonly SchedulerConfig _config;

    // Tasks.
    private TaskRecord[] _tasks = new TaskRecord[256];
    private int _taskHighWater;
    private int[] _freeSlots = new int[64];
    private int _freeSlotCount;
    private readonly List<int> _slotsFreedThisRound = new();
    private readonly Dictionary<string, int> _keyIndex = new(StringComparer.Ordinal);
    private readonly int[] _stateCounts = new int[9];
    private long _nextSequence;
    private long _lastRunId;
    private long _staleAnswers;

    // Task groups (key prefix before the last '-').
    private readonly Dictionary<string, int> _groupIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _groupLookup;
    private string[] _groupNames = new string[16];
    private double[] _groupDuration = new double[16];
    private int _groupCount;

    // Workers and clients.
    private WorkerRecord?[] _workers = new WorkerRecord?[8];
    private readonly List<int> _liveWorkers = new();
    private readonly HashSet<int> _clients = new();

    // Tasks waiting for something other than their inputs.
    private int[] _heap = new int[256];
    private int _heapCount;
    private readonly List<int> _resourceWaiting = new();
    private readonly HashSet<int> _noWorker = new();

    // Rare per-task data.
    private readonly Dictionary<int, TaskFailure> _errors = new();
    private readonly Dictionary<int, List<WorkerDeath>> _failures = new();

    // Commands.
    private SchedulerCommand[] _commands = new SchedulerCommand[256];
    private int _commandCount;

    // Per-event scratch, reused.
    private readonly List<int> _ready = new();
    private readonly List<int> _readyDirect = new();
    private readonly List<int> _releaseCandidates = new();
    private readonly Stack<int> _walk = new();
    private double[] _bytesOnWorker = new double[8];
    private bool _resourcesFreed;
    private readonly PriorityComparer _priorityComparer;

    /// <summary>Creates an empty scheduler.</summary>
    public SchedulerState(SchedulerConfig config)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _groupLookup = _groupIndex.GetAlternateLookup<ReadOnlySpan<char>>();
        _priorityComparer = new PriorityComparer(this);
    }

    /// <summary>The configuration (the server may update <see cref="SchedulerConfig.RoundTrip"/>).</summary>
    public SchedulerConfig Config => _config;

    // ---------------------------------------------------------------- commands

    /// <summary>Commands produced since the last <see cref="ClearCommands"/>, in order.</summary>
    public ReadOnlySpan<SchedulerCommand> Commands => new(_commands, 0, _commandCount);

    /// <summary>Forgets the accumulated commands; task ids they named may be reused afterwards.</summary>
    public void ClearCommands()
    {
        _commandCount = 0;
        foreach (var slot in _slotsFreedThisRound)
        {
            _tasks[slot] = default;
            if (_freeSlotCount == _freeSlots.Length) Array.Resize(ref _freeSlots, _freeSlots.Length * 2);
            _freeSlots[_freeSlotCount++] = slot;
        }
        _slotsFreedThisRound.Clear();
    }

    private void Emit(SchedulerCommandKind kind, int target, int task)
    {
        if (_commandCount == _commands.Length) Array.Resize(ref _commands, _commands.Length * 2);
        _commands[_commandCount++] = new SchedulerCommand(kind, target, task);
    }

    private void EmitToClient(SchedulerCommandKind kind, int client, int task)
    {
        if (_clients.Contains(client)) Emit(kind, client, task);
    }

    private void EmitToWanters(SchedulerCommandKind kind, int task)
    {
        ref var r = ref _tasks[task];
        if (r.WanterCount == 1) EmitToClient(kind, r.Wanter0, task);
        else for (int i = 0; i < r.WanterCount; i++) EmitToClient(kind, r.MoreWanters![i], task);
    }

    // ---------------------------------------------------------------- lookups

    /// <summary>The key of a task.</summary>
    public string KeyOf(int task) => _tasks[task].Key;

    /// <summary>The opaque run specification the client gave for a task.</summary>
    public TaskPayload? RunSpecOf(int task) => _tasks[task].RunSpec;

    /// <summary>The user priority of a task (higher first).</summary>
    public long PriorityOf(int task) => _tasks[task].UserPriority;

    /// <summary>
    /// Id of a task's latest assignment to a worker (unique and increasing across all tasks; 0
    /// when never assigned). Compute and StealRequest carry it; the worker's answers (task done,
    /// failed, rescheduled, steal response) echo it, and answers naming another run are ignored.
    /// </summary>
    public long RunIdOf(int task) => _tasks[task].RunId;

    /// <summary>Answers ignored because they named a run that is not the task's current one.</summary>
    public long StaleAnswers => _staleAnswers;

    /// <summary>Submission order of a task (lower first among equal user priorities).</summary>
    public long SequenceOf(int task) => _tasks[task].Sequence;

    /// <summary>
    /// One number for a worker's ready queue, higher runs first: user priority (clamped to
    /// ±2^22) above the submission order (earlier first).
    /// </summary>
    public long RunOrderOf(int task)
    {
        ref var r = ref _tasks[task];
        long user = Math.Clamp(r.UserPriority, -(1L << 22), (1L << 22) - 1);
        return (user << 40) | ((1L << 40) - 1 - (r.Sequence & ((1L << 40) - 1)));
    }

    /// <summary>Size in bytes of a task's result, -1 when unknown.</summary>
    public long NbytesOf(int task) => _tasks[task].Nbytes;

    /// <summary>Ids of the tasks a task depends on.</summary>
    public ReadOnlySpan<int> DependenciesOf(int task) => _tasks[task].Dependencies;

    /// <summary>Ids of the workers holding a task's result.</summary>
    public ReadOnlySpan<int> WhoHas(int task)
    {
        ref var r = ref _tasks[task];
        return r.HolderCount switch
        {
            0 => ReadOnlySpan<int>.Empty,
            1 => MemoryMarshal.CreateReadOnlySpan(ref r.Holder0, 1),
            _ => new ReadOnlySpan<int>(r.MoreHolders, 0, r.HolderCount),
        };
    }

    /// <summary>The error of an erred task (the worker's, or a <see cref="WorkerKilledError"/>), else null.</summary>
    public TaskFailure? ErrorOf(int task) => _errors.TryGetValue(task, out var e) ? e : null;

    /// <summary>The abstract resources a task needs while running, null for none.</summary>
    public IReadOnlyDictionary<string, double>? ResourcesOf(int task) => _tasks[task].Constraints?.ResourcesAsGiven;

    // ---------------------------------------------------------------- introspection

    /// <summary>State of the task with this key, null when the scheduler does not know it.</summary>
    public TaskState? StateOf(string key) => _keyIndex.TryGetValue(key, out var t) ? _tasks[t].State : null;

    /// <summary>Task id of a key, -1 when unknown.</summary>
    public int TaskIdOf(string key) => _keyIndex.TryGetValue(key, out var t) ? t : -1;

    /// <summary>Task slots ever used (the task array's high-water mark; shows slot reuse).</summary>
    internal int TaskSlotsUsed => _taskHighWater;

    /// <summary>Number of tasks the scheduler knows.</summary>
    public int TaskCount => _keyIndex.Count;

    /// <summary>Number of known tasks in a state.</summary>
    public int CountInState(TaskState state) => _stateCounts[(int)state];

    /// <summary>Number of root tasks queued at the scheduler.</summary>
    public int QueuedCount => _heapCount;

    /// <summary>Ids of the live workers, in the order they joined.</summary>
    public IReadOnlyList<int> Workers => _liveWorkers;

    /// <summary>Ids of the connected clients.</summary>
    public IReadOnlyCollection<int> Clients => _clients;

    /// <summary>Tasks processing on a worker, in the order they were sent, then those assigned there ahead of time.</summary>
    public IEnumerable<int> ProcessingOn(int worker)
    {
        var w = WorkerOrNull(worker);
        if (w is null) yield break;
        for (int t = w.ProcHead; t >= 0; t = _tasks[t].ProcNext) yield return t;
        for (int t = w.AheadHead; t >= 0; t = _tasks[t].ProcNext) yield return t;
    }

    /// <summary>Number of tasks processing on a worker.</summary>
    public int ProcessingCount(int worker) => WorkerOrNull(worker)?.ProcessingCount ?? 0;

    /// <summary>Estimated seconds of work processing on a worker.</summary>
    public double OccupancyOf(int worker) => WorkerOrNull(worker)?.Occupancy ?? 0;

    /// <summary>Tasks whose results a worker holds.</summary>
    public IReadOnlyCollection<int> HasWhat(int worker) => (IReadOnlyCollection<int>?)WorkerOrNull(worker)?.HasWhat ?? [];

    /// <summary>The last load a worker reported.</summary>
    public WorkerLoad LoadOf(int worker) => WorkerOrNull(worker)?.Load ?? default;

    /// <summary>The worker a task is processing on, -1 when it is not processing.</summary>
    public int ProcessingWorkerOf(int task) => _tasks[task].ProcessingOn;

    /// <summary>Measured average duration (s) of a task group, null when none finished yet.</summary>
    public double? GroupDuration(string group) =>
        _groupIndex.TryGetValue(group, out var g) && _groupDuration[g] >= 0 ? _groupDuration[g] : null;

    /// <summary>The group of a key: its prefix before the last '-'.</summary>
    public static string GroupOf(string key)
    {
        int dash = key.LastIndexOf('-');
        return dash > 0 ? key[..dash] : key;
    }

    /// <summary>Root-task slots of a worker for the group at the head of the queue (see <see cref="Slots"/>).</summary>
    public int SlotsOf(int worker)
    {
        var w = WorkerOrNull(worker);
        if (w is null) return 0;
        return Slots(w, _heapCount > 0 ? _tasks[_heap[0]].Group : -1);
    }

    private WorkerRecord? WorkerOrNull(int worker) =>
        worker >= 0 && worker < _workers.Length ? _workers[worker] : null;

    // ---------------------------------------------------------------- slots and groups

    private int AllocateSlot()
    {
        int t;
        if (_freeSlotCount > 0) t = _freeSlots[--_freeSlotCount];
        else
        {
            if (_taskHighWater == _tasks.Length) Array.Resize(ref _tasks, _tasks.Length * 2);
            t = _taskHighWater++;
        }
        return t;
    }

    /// <summary>Grows the task table and key index once for a graph of this many new tasks.</summary>
    private void EnsureTaskCapacity(int extra)
    {
        int needed = _keyIndex.Count + extra;
        if (needed <= _tasks.Length) return;
        _keyIndex.EnsureCapacity(needed);
        int size = _tasks.Length;
        while (size < needed - _freeSlotCount) size *= 2;
        if (size > _tasks.Length) Array.Resize(ref _tasks, size);
    }

    private int GroupIdOf(string key)
    {
        int dash = key.LastIndexOf('-');
        var prefix = dash > 0 ? key.AsSpan(0, dash) : key.AsSpan();
        if (_groupLookup.TryGetValue(prefix, out int g)) return g;
        g = _groupCount++;
        if (g == _groupNames.Length)
        {
            Array.Resize(ref _groupNames, g * 2);
            Array.Resize(ref _groupDuration, g * 2);
        }
        var name = prefix.ToString();
        _groupNames[g] = name;
        _groupDuration[g] = -1;
        _groupIndex[name] = g;
        return g;
    }

    private double EstimatedDuration(int group) =>
        group >= 0 && _groupDuration[group] >= 0 ? _groupDuration[group] : _config.DefaultTaskDuration;

    private void RecordDuration(int group, double seconds)
    {
        if (seconds < 0 || double.IsNaN(seconds)) return;
        double old = _groupDuration[group];
        double s = _config.DurationSmoothing;
        _groupDuration[group] = old < 0 ? seconds : (1 - s) * old + s * seconds;
    }

    // ---------------------------------------------------------------- holders and wanters

    // A task keeps its first holder (client) inline; from two on, all of them live in an array.
    private static bool AddToSet(ref int count, ref int first, ref int[]? more, int item)
    {
        if (count == 0) { first = item; count = 1; return true; }
        if (count == 1)
        {
            if (first == item) return false;
            more ??= new int[4];
            more[0] = first;
            more[1] = item;
            count = 2;
            return true;
        }
        for (int i = 0; i < count; i++) if (more![i] == item) return false;
        if (count == more!.Length) Array.Resize(ref more, count * 2);
        more[count++] = item;
        return true;
    }

    private static bool RemoveFromSet(ref int count, ref int first, ref int[]? more, int item)
    {
        if (count == 0) return false;
        if (count == 1)
        {
            if (first != item) return false;
            count = 0;
            first = -1;
            return true;
        }
        int i = Array.IndexOf(more!, item, 0, count);
        if (i < 0) return false;
        more![i] = more[count - 1];
        count--;
        if (count == 1) first = more[0];
        return true;
    }

    private static bool SetContains(int count, int first, int[]? more, int item) =>
        count == 1 ? first == item : count > 1 && Array.IndexOf(more!, item, 0, count) >= 0;

    private bool AddHolder(int task, int worker)
    {
        ref var r = ref _tasks[task];
        if (!AddToSet(ref r.HolderCount, ref r.Holder0, ref r.MoreHolders, worker)) return false;
        var w = _workers[worker]!;
        w.HasWhat.Add(task);
        if (r.Nbytes > 0) w.NbytesHeld += r.Nbytes;
        return true;
    }

    private bool RemoveHolder(int task, int worker)
    {
        ref var r = ref _tasks[task];
        if (!RemoveFromSet(ref r.HolderCount, ref r.Holder0, ref r.MoreHolders, worker)) return false;
        var w = _workers[worker];
        if (w is not null)
        {
            w.HasWhat.Remove(task);
            if (r.Nbytes > 0) w.NbytesHeld -= r.Nbytes;
        }
        return true;
    }

    private bool AddWanter(int task, int client)
    {
        ref var r = ref _tasks[task];
        return AddToSet(ref r.WanterCount, ref r.Wanter0, ref r.MoreWanters, client);
    }

    private bool RemoveWanter(int task, int client)
    {
        ref var r = ref _tasks[task];
        if (!RemoveFromSet(ref r.WanterCount, ref r.Wanter0, ref r.MoreWanters, client)) return false;
        if (r.ClientHolder == client) ClientStopsHolding(task);
        return true;
    }

    private bool Wants(int task, int client)
    {
        ref var r = ref _tasks[task];
        return SetContains(r.WanterCount, r.Wanter0, r.MoreWanters, client);
    }

    /// <summary>Orders task ids by priority: user priority (higher first), then submission order.</summary>
    private sealed class PriorityComparer(SchedulerState state) : IComparer<int>
    {
        public int Compare(int a, int b) => state.ComparePriority(a, b);
    }

    private int ComparePriority(int a, int b)
    {
        ref var x = ref _tasks[a];
        ref var y = ref _tasks[b];
        if (x.UserPriority != y.UserPriority) return x.UserPriority > y.UserPriority ? -1 : 1;
        return x.Sequence.CompareTo(y.Sequence);
    }
}

using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

/// <summary>A value a client put into a primitive: opaque segments (the scheduler decodes no value) and its type's name.</summary>
internal sealed record CoordinationValue(Segment[] Segments, string TypeName)
{
    /// <summary>The value is a future of this key (no segments); "" for a plain value.</summary>
    public string FutureKey { get; init; } = "";

    /// <summary>For a future: the holder (a client id no connection has) keeping its key alive while the value is held here.</summary>
    public int Holder { get; init; }
}

/// <summary>One coordination request, as the server read it.</summary>
internal sealed record CoordinationAsk(int Client, ulong RequestId, CoordinationOp Op, string Name)
{
    public CoordinationValue? Value { get; init; }
    /// <summary>Seconds to wait; negative: no limit.</summary>
    public double Timeout { get; init; } = -1;
    public string LeaseId { get; init; } = "";
    public int MaxLeases { get; init; } = 1;
    public IReadOnlyList<string> Keys { get; init; } = [];
    public IReadOnlyList<string> TypeNames { get; init; } = [];
    public bool Overwrite { get; init; }
}

/// <summary>An answer to send (the command this state machine emits).</summary>
internal sealed record CoordinationAnswer(int Client, ulong RequestId, bool Ok)
{
    public string Error { get; init; } = "";
    public CoordinationValue? Value { get; init; }
    public long Count { get; init; }
    public IReadOnlyList<string> Keys { get; init; } = [];
    public IReadOnlyList<string> TypeNames { get; init; } = [];
    /// <summary>The value left its primitive with this answer (a queue item taken), so its holder is now the getter's to end.</summary>
    public bool HandedOver { get; init; }
}

/// <summary>
/// The coordination primitives the scheduler holds (Dask's Variable, Queue, Event, Lock, Semaphore and published
/// datasets), as a pure state machine: requests, cancellations, a client leaving and the clock go in; answers come
/// out (<see cref="TakeAnswers"/>); a published dataset's keys come out as references to keep
/// (<see cref="TakeDatasetChanges"/>). A request that cannot be done yet waits, in arrival order, until it can, its
/// timeout passes or it is cancelled; whatever it is, it gets exactly one answer. A semaphore lease belongs to the
/// client that acquired it and is released when that client leaves (a task's client goes with its worker).
/// </summary>
internal sealed partial class CoordinationState
{
    private readonly Dictionary<string, CoordinationValue> _variables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<CoordinationValue>> _queues = new(StringComparer.Ordinal);
    private readonly HashSet<string> _events = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SemaphoreRecord> _semaphores = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DatasetRecord> _datasets = new(StringComparer.Ordinal);
    // Requests waiting, per primitive (by op family and name), in arrival order.
    private readonly Dictionary<(CoordinationOp Op, string Name), LinkedList<Waiting>> _waiting = new();
    private readonly Dictionary<(int Client, ulong RequestId), LinkedListNode<Waiting>> _waitingById = new();
    private readonly List<CoordinationAnswer> _answers = new();
    private readonly List<DatasetChange> _datasetChanges = new();
    private readonly List<CoordinationValue> _droppedValues = new();

    private sealed record Waiting(CoordinationAsk Ask, double Deadline);

    private sealed class SemaphoreRecord(int max)
    {
        public int Max = max;
        public readonly Dictionary<string, int> Leases = new(StringComparer.Ordinal); // lease id -> client
    }

    /// <summary>A published dataset: its keys (kept alive by the scheduler while published) and their types.</summary>
    internal sealed record DatasetRecord(IReadOnlyList<string> Keys, IReadOnlyList<string> TypeNames);

    /// <summary>A dataset's keys to start (true) or stop (false) keeping alive on the scheduler.</summary>
    internal readonly record struct DatasetChange(string Name, IReadOnlyList<string> Keys, bool Publish);

    /// <summary>Answers produced since the last call.</summary>
    public IReadOnlyList<CoordinationAnswer> TakeAnswers()
    {
        if (_answers.Count == 0) return [];
        var answers = _answers.ToArray();
        _answers.Clear();
        return answers;
    }

    /// <summary>Dataset publications and withdrawals since the last call.</summary>
    public IReadOnlyList<DatasetChange> TakeDatasetChanges()
    {
        if (_datasetChanges.Count == 0) return [];
        var changes = _datasetChanges.ToArray();
        _datasetChanges.Clear();
        return changes;
    }

    /// <summary>
    /// Values no primitive holds any more since the last call (a variable set over or deleted), so that the keys of
    /// those that are futures can be let go. A queue item taken leaves with its answer instead (<see cref="CoordinationAnswer.HandedOver"/>).
    /// </summary>
    public IReadOnlyList<CoordinationValue> TakeDroppedValues()
    {
        if (_droppedValues.Count == 0) return [];
        var dropped = _droppedValues.ToArray();
        _droppedValues.Clear();
        return dropped;
    }

    /// <summary>Requests waiting now (tests and diagnostics).</summary>
    public int WaitingCount => _waitingById.Count;

    /// <summary>Leases of a semaphore held now.</summary>
    public int LeasesHeld(string name) => _semaphores.TryGetValue(name, out var s) ? s.Leases.Count : 0;

    /// <summary>Handles one request at <paramref name="now"/> (seconds).</summary>
    public void Request(CoordinationAsk ask, double now)
    {
        ArgumentNullException.ThrowIfNull(ask);
        if (string.IsNullOrEmpty(ask.Name) && ask.Op != CoordinationOp.DatasetList)
        {
            Answer(ask, ok: false, error: "a coordination primitive needs a name");
            return;
        }

        switch (ask.Op)
        {
            case CoordinationOp.VariableSet:
                if (ask.Value is null) { Answer(ask, false, "Variable.Set needs a value"); return; }
                if (_variables.TryGetValue(ask.Name, out var replaced)) _droppedValues.Add(replaced);
                _variables[ask.Name] = ask.Value;
                Answer(ask, true);
                WakeVariableGetters(ask.Name);
                break;
            case CoordinationOp.VariableGet:
                if (_variables.TryGetValue(ask.Name, out var value)) Answer(ask, true, value: value);
                else Wait(ask, now);
                break;
            case CoordinationOp.VariableDelete:
                var deleted = _variables.Remove(ask.Name, out var old);
                if (deleted) _droppedValues.Add(old!);
                Answer(ask, deleted);
                break;
            case CoordinationOp.QueuePut:
                if (ask.Value is null) { Answer(ask, false, "Queue.Put needs a value"); return; }
                if (!TryHandToWaiter(CoordinationOp.QueueGet, ask.Name, ask.Value))
                {
                    if (!_queues.TryGetValue(ask.Name, out var queue)) _queues[ask.Name] = queue = new Queue<CoordinationValue>();
                    queue.Enqueue(ask.Value);
                }
                Answer(ask, true);
                break;
            case CoordinationOp.QueueGet:
                if (_queues.TryGetValue(ask.Name, out var items) && items.TryDequeue(out var item))
                {
                    if (items.Count == 0) _queues.Remove(ask.Name);
                    _answers.Add(new CoordinationAnswer(ask.Client, ask.RequestId, true) { Value = item, HandedOver = true });
                }
                else Wait(ask, now);
                break;
            case CoordinationOp.QueueSize:
                _answers.Add(new CoordinationAnswer(ask.Client, ask.RequestId, true) { Count = _queues.TryGetValue(ask.Name, out var q) ? q.Count : 0 });
                break;
            case CoordinationOp.EventSet:
                _events.Add(ask.Name);
                Answer(ask, true);
                WakeAll(CoordinationOp.EventWait, ask.Name);
                break;
            case CoordinationOp.EventClear:
                _events.Remove(ask.Name);
                Answer(ask, true);
                break;
            case CoordinationOp.EventWait:
                if (_events.Contains(ask.Name)) Answer(ask, true);
                else Wait(ask, now);
                break;
            case CoordinationOp.EventIsSet:
                Answer(ask, _events.Contains(ask.Name));
                break;
            case CoordinationOp.SemaphoreAcquire:
                Acquire(ask, now);
                break;
            case CoordinationOp.SemaphoreRelease:
                Release(ask);
                break;
            case CoordinationOp.DatasetPublish:
                Publish(ask);
                break;
            case CoordinationOp.DatasetGet:
                if (_datasets.TryGetValue(ask.Name, out var dataset))
                    _answers.Add(new CoordinationAnswer(ask.Client, ask.RequestId, true) { Keys = dataset.Keys, TypeNames = dataset.TypeNames });
                else Answer(ask, false);
                break;
            case CoordinationOp.DatasetUnpublish:
                if (_datasets.Remove(ask.Name, out var withdrawn))
                {
                    _datasetChanges.Add(new DatasetChange(ask.Name, withdrawn.Keys, Publish: false));
                    Answer(ask, true);
                }
                else Answer(ask, false, $"no dataset named '{ask.Name}' is published");
                break;
            case CoordinationOp.DatasetList:
                _answers.Add(new CoordinationAnswer(ask.Client, ask.RequestId, true) { Keys = _datasets.Keys.Order(StringComparer.Ordinal).ToArray() });
                break;
            default:
                Answer(ask, false, $"unknown coordination request {ask.Op}");
                break;
        }
    }

    /// <summary>The client stops waiting for <paramref name="requestId"/>: answered (not done) if it still waits.</summary>
    public void Cancel(int client, ulong requestId)
    {
        if (!_waitingById.Remove((client, requestId), out var node)) return; // done already: its answer went out
        RemoveWaiting(node);
        Answer(node.Value.Ask, false);
    }

    /// <summary>Times out waiting requests whose deadline passed.</summary>
    public void Tick(double now)
    {
        if (_waitingById.Count == 0) return;
        List<LinkedListNode<Waiting>>? expired = null;
        foreach (var node in _waitingById.Values)
            if (node.Value.Deadline <= now) (expired ??= []).Add(node);
        if (expired is null) return;
        foreach (var node in expired)
        {
            _waitingById.Remove((node.Value.Ask.Client, node.Value.Ask.RequestId));
            RemoveWaiting(node);
            Answer(node.Value.Ask, false);
        }
    }

    /// <summary>A client left: its waiting requests are dropped (nobody to answer) and its leases released.</summary>
    public void ClientLeft(int client)
    {
        foreach (var node in _waitingById.Where(p => p.Key.Client == client).Select(p => p.Value).ToArray())
        {
            _waitingById.Remove((client, node.Value.Ask.RequestId));
            RemoveWaiting(node);
        }

        foreach (var (name, semaphore) in _semaphores.ToArray())
        {
            foreach (var lease in semaphore.Leases.Where(l => l.Value == client).Select(l => l.Key).ToArray())
                semaphore.Leases.Remove(lease);
            GrantLeases(name, semaphore);
        }
    }

    private void Answer(CoordinationAsk ask, bool ok, string error = "", CoordinationValue? value = null) =>
        _answers.Add(new CoordinationAnswer(ask.Client, ask.RequestId, ok) { Error = error, Value = value });

    private void Wait(CoordinationAsk ask, double now)
    {
        if (ask.Timeout == 0)
        {
            Answer(ask, false);
            return;
        }

        var deadline = ask.Timeout < 0 ? double.PositiveInfinity : now + ask.Timeout;
        var family = (ask.Op, ask.Name);
        if (!_waiting.TryGetValue(family, out var list)) _waiting[family] = list = new LinkedList<Waiting>();
        if (_waitingById.ContainsKey((ask.Client, ask.RequestId)))
        {
            Answer(ask, false, "a request with this id is already waiting");
            return;
        }

        _waitingById[(ask.Client, ask.RequestId)] = list.AddLast(new Waiting(ask, deadline));
    }

    private void RemoveWaiting(LinkedListNode<Waiting> node)
    {
        var list = node.List!;
        list.Remove(node);
        if (list.Count == 0) _waiting.Remove((node.Value.Ask.Op, node.Value.Ask.Name));
    }

    private LinkedListNode<Waiting>? FirstWaiting(CoordinationOp op, string name) =>
        _waiting.TryGetValue((op, name), out var list) ? list.First : null;

    private CoordinationAsk TakeFirst(LinkedListNode<Waiting> node)
    {
        _waitingById.Remove((node.Value.Ask.Client, node.Value.Ask.RequestId));
        RemoveWaiting(node);
        return node.Value.Ask;
    }

    private bool TryHandToWaiter(CoordinationOp op, string name, CoordinationValue value)
    {
        if (FirstWaiting(op, name) is not { } node) return false;
        var ask = TakeFirst(node);
        _answers.Add(new CoordinationAnswer(ask.Client, ask.RequestId, true) { Value = value, HandedOver = true });
        return true;
    }

    private void WakeVariableGetters(string name)
    {
        var value = _variables[name];
        while (FirstWaiting(CoordinationOp.VariableGet, name) is { } node) Answer(TakeFirst(node), true, value: value);
    }

    private void WakeAll(CoordinationOp op, string name)
    {
        while (FirstWaiting(op, name) is { } node) Answer(TakeFirst(node), true);
    }
}

using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Transfer;

namespace Shoal.Execution;

/// <summary>
/// Something for the worker loop to apply to its state. A struct: a worker queues several per task
/// (the scheduler's message, the execution's end), and as a class each was an object of ~130 B
/// (issue 10); the channel's segments hold them inline.
/// </summary>
internal readonly record struct WorkerEvent(WorkerEventKind Kind)
{
    public IncomingMessage Incoming { get; init; }

    public string Key { get; init; } = "";

    public long Nbytes { get; init; }

    public double Start { get; init; }

    public double Stop { get; init; }

    public TaskErrorPayload? Error { get; init; }

    public string Peer { get; init; } = "";

    public IReadOnlyList<KeyValuePair<string, long>> Received { get; init; } = [];

    public IReadOnlyList<string> Keys { get; init; } = [];

    public string Reason { get; init; } = "";

    public IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> Locations { get; init; } = [];
    /// <summary>The scheduler connection generation the event belongs to (see WorkerServer.Connection).</summary>
    public int Generation { get; init; }

    public object? Payload { get; init; }

    /// <summary>For <see cref="WorkerEventKind.DataPut"/>: the client's put, stored by the loop.</summary>
    public ReceivedPut? Put { get; init; }

    public static readonly WorkerEvent HeartbeatTick = new(WorkerEventKind.Heartbeat);

    public static WorkerEvent FromScheduler(IncomingMessage incoming, int generation) => new(WorkerEventKind.SchedulerMessage) { Incoming = incoming, Generation = generation };

    public static WorkerEvent SchedulerLost(string reason) => new(WorkerEventKind.SchedulerLost) { Reason = reason };
}

/// <summary>Kinds of <see cref="WorkerEvent"/>.</summary>
internal enum WorkerEventKind
{
    SchedulerMessage,
    ExecuteSuccess,
    ExecuteFailure,
    GatherSuccess,
    GatherFailure,
    DataPut,
    Heartbeat,
    SchedulerLost,
    WhoHasReply,
    Reconnected,
    GaveUp,
    ReplicasFetched,
    MemoryCheck,
    Story,
    Secede,
    Rejoin,
}

/// <summary>A client's PutData as it arrived: the connection to acknowledge on, the message, its segments.</summary>
internal sealed record ReceivedPut(IConnection From, PutData Message, Segment[] Segments);

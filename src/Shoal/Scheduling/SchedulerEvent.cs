using Shoal.Comm;

namespace Shoal.Scheduling;

/// <summary>Something for the scheduler loop to apply to the state.</summary>
internal readonly record struct SchedulerEvent(SchedulerEventKind Kind, SchedulerServer.Session? Session, IncomingMessage Incoming, string? Reason, object? Payload = null)
{
    public static SchedulerEvent Tick => new(SchedulerEventKind.Tick, null, default, null);

    public static SchedulerEvent Connected(SchedulerServer.Session session) => new(SchedulerEventKind.Connected, session, default, null);

    public static SchedulerEvent Disconnected(SchedulerServer.Session session, string reason) => new(SchedulerEventKind.Disconnected, session, default, reason);

    public static SchedulerEvent Message(SchedulerServer.Session session, IncomingMessage incoming) => new(SchedulerEventKind.Message, session, incoming, null);

    /// <summary>An in-process caller (LocalCluster) asks to retire workers.</summary>
    public static SchedulerEvent Retire(SchedulerServer.RetireRequest request) => new(SchedulerEventKind.Retire, null, default, null, request);

    /// <summary>Runs a read of the state on the loop (what cluster managers ask: the adaptive target, say).</summary>
    public static SchedulerEvent Inspect(Action<SchedulerState> read) => new(SchedulerEventKind.Inspect, null, default, null, read);
    /// <summary>An observer (the dashboard) needs something read or done on the loop.</summary>
    public static SchedulerEvent OnLoop(Action action) => new(SchedulerEventKind.OnLoop, null, default, null, action);
}

/// <summary>Kinds of <see cref="SchedulerEvent"/>.</summary>
internal enum SchedulerEventKind
{
    Tick,
    Connected,
    Disconnected,
    Message,
    Retire,
    Inspect,
    OnLoop,
}

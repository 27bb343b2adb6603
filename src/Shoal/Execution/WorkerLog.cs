using Microsoft.Extensions.Logging;

namespace Shoal.Execution;

internal static partial class WorkerLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Worker {Name} serving at {Address}, registered with {Scheduler}")]
    public static partial void Registered(ILogger logger, string name, string address, string scheduler);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Lost the scheduler at {Scheduler}: {Reason}")]
    public static partial void SchedulerLost(ILogger logger, string scheduler, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Could not handle worker event {Kind}")]
    public static partial void EventFailed(ILogger logger, string kind, Exception exception);

    [LoggerMessage(EventId = 303, Level = LogLevel.Debug, Message = "Unexpected {Kind}")]
    public static partial void UnexpectedMessage(ILogger logger, string kind);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Refused {Kind} from peer {Peer}: peers may only get or put data")]
    public static partial void RefusedPeerMessage(ILogger logger, string peer, string kind);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "Data connection from {Peer} failed: {Reason}")]
    public static partial void PeerFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 306, Level = LogLevel.Debug, Message = "Could not reconnect to the scheduler at {Scheduler}: {Reason}")]
    public static partial void ReconnectFailed(ILogger logger, string scheduler, string reason);

    [LoggerMessage(EventId = 307, Level = LogLevel.Information, Message = "Worker {Name} registered again with {Scheduler}, keeping {Keys} results")]
    public static partial void Reconnected(ILogger logger, string name, string scheduler, int keys);

    [LoggerMessage(EventId = 308, Level = LogLevel.Warning, Message = "Worker stopping: {Reason}")]
    public static partial void GaveUp(ILogger logger, string reason);

    [LoggerMessage(EventId = 309, Level = LogLevel.Warning, Message = "Worker {Name} paused: process memory {Bytes} bytes is past the pause threshold {Threshold}")]
    public static partial void Paused(ILogger logger, string name, long bytes, long threshold);

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Worker {Name} resumed at {Bytes} bytes of process memory")]
    public static partial void Resumed(ILogger logger, string name, long bytes);

    [LoggerMessage(EventId = 311, Level = LogLevel.Debug, Message = "No message handled from the scheduler for {Seconds:0.0} s, but its messages wait unread: this process is slow, the scheduler is not silent")]
    public static partial void SlowNotSilent(ILogger logger, double seconds);

    [LoggerMessage(EventId = 320, Level = LogLevel.Information, Message = "Worker {Name} took back {Count} results ({Bytes} bytes) from its result journal {Path}")]
    public static partial void JournalRecovered(ILogger logger, string name, int count, long bytes, string path);

    [LoggerMessage(EventId = 321, Level = LogLevel.Warning, Message = "Worker {Name}: its result journal reached its cap of {Cap} bytes; new results are no longer journaled (they die with the process)")]
    public static partial void JournalFull(ILogger logger, string name, long cap);

    [LoggerMessage(EventId = 322, Level = LogLevel.Warning, Message = "Worker {Name} could not open its result journal {Path} ({Reason}); it runs without one")]
    public static partial void JournalUnavailable(ILogger logger, string name, string path, string reason);

    [LoggerMessage(EventId = 323, Level = LogLevel.Warning, Message = "Worker {Name}: writing its result journal {Path} failed ({Reason}); it goes on without one (its results die with the process)")]
    public static partial void JournalFailed(ILogger logger, string name, string path, string reason);
}

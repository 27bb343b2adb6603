using Microsoft.Extensions.Logging;

namespace Shoal.Scheduling;

internal static partial class SchedulerLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "Scheduler at {Address}")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Worker {Name} joined from {Address} with {Threads} threads")]
    public static partial void WorkerJoined(ILogger logger, string name, string address, int threads);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Worker {Name} at {Address} left: {Reason}")]
    public static partial void WorkerLeft(ILogger logger, string name, string address, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Client {Name} connected from {Address}")]
    public static partial void ClientConnected(ILogger logger, string name, string address);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Client {Name} left: {Reason}")]
    public static partial void ClientLeft(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Refused a message from {Peer}: {Reason}")]
    public static partial void RefusedMessage(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 206, Level = LogLevel.Error, Message = "Could not handle {Kind} from {Peer}; closing that connection")]
    public static partial void EventFailed(ILogger logger, string kind, string peer, Exception exception);

    [LoggerMessage(EventId = 207, Level = LogLevel.Debug, Message = "No message for scheduler command {Kind}")]
    public static partial void UnknownCommand(ILogger logger, string kind);

    [LoggerMessage(EventId = 220, Level = LogLevel.Debug, Message = "Ignored a stale {Kind} for {Key} from worker {Worker}: run {RunId}, the current run is {CurrentRunId}")]
    public static partial void StaleAnswer(ILogger logger, string kind, string key, string worker, ulong runId, long currentRunId);

    [LoggerMessage(EventId = 221, Level = LogLevel.Debug, Message = "Ignored missing-data for {Key} at {Address} from {Reporter}: it names a previous worker process at that address")]
    public static partial void MissingDataAboutPredecessor(ILogger logger, string key, string address, string reporter);

    [LoggerMessage(EventId = 222, Level = LogLevel.Debug, Message = "Worker {Name} left holding {Count} results no other worker has: {Keys}")]
    public static partial void LeftHolding(ILogger logger, string name, int count, string keys);

    [LoggerMessage(EventId = 224, Level = LogLevel.Debug, Message = "Result {Key} lost: {Reporter} could not get it from {Address}, its last holder")]
    public static partial void ResultLost(ILogger logger, string key, string reporter, string address);

    [LoggerMessage(EventId = 230, Level = LogLevel.Information, Message = "Nanny of {Name} reports that its worker process {Pid} died ({Cause}); no live registration of that process")]
    public static partial void WorkerDeathReported(ILogger logger, string name, int pid, string cause);

    [LoggerMessage(EventId = 231, Level = LogLevel.Information, Message = "{Count} lost results are held by a client: it puts them back on {Worker} rather than them being computed again")]
    public static partial void AskedClientToRestore(ILogger logger, int count, string worker);

    [LoggerMessage(EventId = 225, Level = LogLevel.Warning, Message = "Refused a nanny report from {Peer}: {Reason}")]
    public static partial void NannyReportRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 226, Level = LogLevel.Warning, Message = "Refused a worker registration from {Peer}: {Reason}")]
    public static partial void RegistrationRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 232, Level = LogLevel.Information, Message = "Restart asked by client {Client}: closing {Count} workers ({Scope})")]
    public static partial void Restarting(ILogger logger, string client, int count, string scope);
}

using Microsoft.Extensions.Logging;

namespace Shoal.Hosting;

internal static partial class NannyLog
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "Worker {Name} died ({Cause}); restarting it")]
    public static partial void Restarting(ILogger logger, string name, string cause);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Worker {Name} ended normally; its nanny stops")]
    public static partial void WorkerEnded(ILogger logger, string name);

    [LoggerMessage(EventId = 502, Level = LogLevel.Debug, Message = "Nanny of {Name} could not report to the scheduler: {Reason}")]
    public static partial void ReportFailed(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "Worker {Name} could not reach its scheduler within its death timeout; its nanny stops")]
    public static partial void SchedulerUnreachable(ILogger logger, string name);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Nanny of {Name} could not make a result journal ({Reason}); the worker's results die with it")]
    public static partial void NoJournal(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning, Message = "Nanny of {Name} could not sweep the result journals of nannies killed before ({Reason})")]
    public static partial void SweepFailed(ILogger logger, string name, string reason);
}

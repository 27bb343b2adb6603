using Microsoft.Extensions.Logging;

namespace Shoal.ClientSide;

internal static partial class ClientLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Ignoring unexpected message {Kind} from the scheduler")]
    public static partial void UnexpectedMessage(ILogger logger, string kind);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void LargeCapture(ILogger logger, string warning);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Sending to the scheduler failed: {Reason}")]
    public static partial void SendFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Could not put {Count} results back on {Worker} ({Reason}): the scheduler computes them again")]
    public static partial void RestoreFailed(ILogger logger, int count, string worker, string reason);
}

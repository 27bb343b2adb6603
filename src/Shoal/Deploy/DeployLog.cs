using Microsoft.Extensions.Logging;

namespace Shoal.Deploy;

internal static partial class DeployLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "[{Worker}] {Line}")]
    public static partial void WorkerOutput(ILogger logger, string worker, string line);
}

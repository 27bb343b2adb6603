using Microsoft.Extensions.Logging;

namespace Shoal.Dashboard;

internal static partial class DashboardLog
{
    [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "Dashboard at: {Link}")]
    public static partial void Serving(ILogger logger, string link);

    [LoggerMessage(EventId = 801, Level = LogLevel.Debug, Message = "Dashboard port {Port} is in use: serving on a free port instead")]
    public static partial void PortTaken(ILogger logger, int port);

    [LoggerMessage(EventId = 802, Level = LogLevel.Warning, Message = "The dashboard is served off loopback without TLS: browsers keep its sign-in cookie only over HTTPS (give the cluster TLS certificates), bearer tokens work either way")]
    public static partial void PlainHttpOffLoopback(ILogger logger);

    [LoggerMessage(EventId = 803, Level = LogLevel.Warning, Message = "Dashboard request {Path} failed")]
    public static partial void RequestFailed(ILogger logger, string path, Exception error);
}

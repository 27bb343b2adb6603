using Microsoft.Extensions.Logging;

namespace Shoal.Comm.Internal;

/// <summary>Log messages of the comm layer.</summary>
internal static partial class CommLog
{
    [LoggerMessage(1, LogLevel.Warning, "Handshake with {Remote} on {Listener} failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string remote, string listener, string reason);

    [LoggerMessage(2, LogLevel.Warning, "Connection closed with an error: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, string reason, Exception? exception);

    [LoggerMessage(3, LogLevel.Debug, "Connection to {Remote} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string remote, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Listening on {Address}")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(5, LogLevel.Debug, "Accepted {Role} '{Name}' from {Remote}")]
    public static partial void Accepted(ILogger logger, string role, string name, string remote);

    [LoggerMessage(6, LogLevel.Warning, "Accepting on {Address} failed: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string address, string reason);
}

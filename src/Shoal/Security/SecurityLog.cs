using Microsoft.Extensions.Logging;

namespace Shoal.Security;

/// <summary>Log messages about security (never with a secret in them).</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(101, LogLevel.Warning, "INSECURE: listening on {Address} without TLS (--insecure): anyone who reaches this port {Risk}")]
    public static partial void InsecureListener(ILogger logger, string address, string risk);

    [LoggerMessage(102, LogLevel.Warning, "INSECURE: {Role} '{Name}' connected from {Remote} over an unencrypted connection (--insecure)")]
    public static partial void InsecureClient(ILogger logger, string role, string name, string remote);

    [LoggerMessage(103, LogLevel.Information, "Token for this scheduler written to {Path} (readable only by this user)")]
    public static partial void TokenFileWritten(ILogger logger, string path);
}

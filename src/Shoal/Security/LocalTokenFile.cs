using Microsoft.Extensions.Logging;
using Shoal.Protocol.Messages;

namespace Shoal.Security;

/// <summary>The token a bare <c>shoal scheduler</c> on loopback creates and publishes to this user only.</summary>
internal static class LocalTokenFile
{
    /// <summary>A fresh cluster token for a loopback listener; null off loopback or with --insecure (no token file there).</summary>
    public static SecurityOptions? DefaultFor(string listenAddress, bool insecure) =>
        insecure || ListenerPolicy.IsPlaintextOffLoopback(listenAddress, null) ? null : SecurityOptions.TemporaryToken();

    /// <summary>
    /// Writes the token file for <paramref name="address"/> (mode 0600; dispose to delete it), or,
    /// when <paramref name="security"/> is null, deletes a stale one a killed scheduler left on
    /// this port (clients would otherwise offer its token to a scheduler that expects none).
    /// </summary>
    /// <remarks>Logs nothing: hosts print the scheduler's address first, then call <see cref="LogWritten"/>.</remarks>
    public static IDisposable? Publish(LocalCredentials credentials, string address, SecurityOptions? security)
    {
        var path = credentials.TokenFilePath(address);
        if (path is null) return null;
        if (security?.TokenFor(Role.Scheduler) is not { } token)
        {
            try { File.Delete(path); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return null;
        }

        var written = credentials.WriteTokenFile(address, token);
        // Off the start-up path: files left by killed schedulers on other ports go too.
        var directory = credentials.Directory;
        _ = Task.Run(() => TokenFileOwner.DeleteStale(directory));
        return written;
    }

    /// <summary>Says where the token file of <paramref name="address"/> is (never what it holds).</summary>
    public static void LogWritten(LocalCredentials credentials, string address, ILoggerFactory loggers)
    {
        if (credentials.TokenFilePath(address) is { } path) SecurityLog.TokenFileWritten(loggers.CreateLogger("Shoal.Security"), path);
    }
}

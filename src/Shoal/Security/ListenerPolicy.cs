using System.Net;
using Shoal.Comm;

namespace Shoal.Security;

/// <summary>Which listeners may run in clear: only those on loopback (or in-process).</summary>
internal static class ListenerPolicy
{
    /// <summary>True for a tcp:// listener on a non-loopback address whose peers would not use TLS.</summary>
    public static bool IsPlaintextOffLoopback(string address, SecurityOptions? security)
    {
        if (!ShoalAddress.TryParse(address, out var parsed, out _) || parsed.Scheme != "tcp") return false;
        if (security is { UsesTls: true }) return false;
        var host = parsed.Host;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return false;
        return !(IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }
}

/// <summary>Thrown when a scheduler would listen in clear where others can reach it.</summary>
public sealed class InsecureListenerException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="address"/>.</summary>
    public InsecureListenerException(string address)
        : base($"refusing to listen on {address} without TLS: anyone who reaches it could run code on every worker. "
            + "Pass --tls-ca-file, --tls-cert and --tls-key (create them with `shoal certs create --out DIR`), "
            + "listen on 127.0.0.1, or pass --insecure to run unencrypted and unauthenticated anyway")
    {
    }
}

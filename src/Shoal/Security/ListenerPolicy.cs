using System.Net;
using Shoal.Protocol.Messages;
using Shoal.Protocol;

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

    /// <summary>What whoever reaches a plaintext listener of <paramref name="role"/> could do (for errors and warnings).</summary>
    public static string RiskOf(Role role) => role == Role.Worker
        ? "could read this worker's results and hand it false ones"
        : "could run code on every worker";

    /// <summary>The error for a listener that would run in clear off loopback.</summary>
    public static InsecureListenerException Refuse(string address, Role role) => new(address, RiskOf(role));

    /// <summary>The error for <c>shoal local</c> off loopback: it has no TLS flags, its credentials are for this machine only.</summary>
    public static InsecureListenerException RefuseLocalCluster(string address) => new(
        $"refusing to listen on {address}: `shoal local` makes credentials for this machine only, and without TLS anyone who "
        + $"reaches it {RiskOf(Role.Scheduler)}. Listen on 127.0.0.1 (--host 127.0.0.1), or serve other machines with "
        + "`shoal scheduler` and `shoal worker` and --tls-ca-file, --tls-cert and --tls-key (create them with `shoal certs create --out DIR`)", (Exception?)null);
}

/// <summary>Thrown when a scheduler or a worker would listen in clear where others can reach it.</summary>
internal sealed class InsecureListenerException : InvalidOperationException
{
    /// <summary>Creates the exception for a scheduler listening on <paramref name="address"/>.</summary>
    public InsecureListenerException(string address)
        : this(address, ListenerPolicy.RiskOf(Role.Scheduler))
    {
    }

    internal InsecureListenerException(string address, string risk)
        : this($"refusing to listen on {address} without TLS: anyone who reaches it {risk}. "
            + "Pass --tls-ca-file, --tls-cert and --tls-key (create them with `shoal certs create --out DIR`), "
            + "listen on 127.0.0.1 (--host 127.0.0.1), or pass --insecure to run in clear anyway", (Exception?)null)
    {
    }

    /// <summary>An exception with its whole message given (for hosts whose remedies differ).</summary>
    internal InsecureListenerException(string message, Exception? inner)
        : base(message, inner)
    {
    }
}

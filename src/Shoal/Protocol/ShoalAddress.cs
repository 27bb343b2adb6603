using System.Globalization;
using System.Net;

namespace Shoal.Protocol;

/// <summary>
/// A parsed Shoal address: <c>tcp://host:port</c>, <c>tls://host:port</c>, <c>inproc://name</c>,
/// or a bare <c>host:port</c> (meaning tcp). IPv6 hosts go in brackets: <c>tcp://[::1]:8786</c>.
/// An empty host (<c>tcp://:8786</c>) means every interface when listening and loopback when connecting.
/// </summary>
internal sealed record ShoalAddress
{
    /// <summary>"tcp", "tls" or "inproc".</summary>
    public string Scheme { get; }

    /// <summary>Host name or IP for tcp/tls (empty means any/loopback); the name for inproc.</summary>
    public string Host { get; }

    /// <summary>Port for tcp/tls (0 = pick a free one when listening); 0 for inproc.</summary>
    public int Port { get; }

    private ShoalAddress(string scheme, string host, int port)
    {
        Scheme = scheme;
        Host = host;
        Port = port;
    }

    /// <summary>Creates a tcp address.</summary>
    public static ShoalAddress Tcp(string host, int port) => new("tcp", host, port);

    /// <summary>Creates a tls address.</summary>
    public static ShoalAddress Tls(string host, int port) => new("tls", host, port);

    /// <summary>Creates an inproc address.</summary>
    public static ShoalAddress Inproc(string name) => new("inproc", name, 0);

    /// <summary>Parses an address; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static ShoalAddress Parse(string address)
    {
        if (!TryParse(address, out var result, out var error)) throw new FormatException(error);
        return result;
    }

    /// <summary>Parses an address; on failure returns false and the reason.</summary>
    public static bool TryParse(string? address, out ShoalAddress result, out string error)
    {
        result = null!;
        error = "";
        if (string.IsNullOrWhiteSpace(address))
        {
            error = "empty address (expected tcp://host:port, host:port or inproc://name)";
            return false;
        }
        var text = address.Trim();
        string scheme;
        string rest;
        var sep = text.IndexOf("://", StringComparison.Ordinal);
        if (sep >= 0)
        {
            scheme = text[..sep].ToLowerInvariant();
            rest = text[(sep + 3)..];
        }
        else
        {
            scheme = "tcp";
            rest = text;
        }

        switch (scheme)
        {
            case "inproc":
                if (rest.IndexOfAny(['/', '?', '#', ' ']) >= 0)
                {
                    error = $"bad address '{address}': an inproc name may not contain '/', '?', '#' or spaces";
                    return false;
                }
                result = new ShoalAddress("inproc", rest, 0);
                return true;
            case "tcp":
            case "tls":
                return TryParseHostPort(address, scheme, rest, out result, out error);
            default:
                error = $"bad address '{address}': unknown scheme '{scheme}' (expected tcp://, tls:// or inproc://)";
                return false;
        }
    }

    private static bool TryParseHostPort(string address, string scheme, string rest, out ShoalAddress result, out string error)
    {
        result = null!;
        error = "";
        if (rest.EndsWith('/')) rest = rest[..^1];
        if (rest.Contains('/'))
        {
            error = $"bad address '{address}': a {scheme} address has no path (expected {scheme}://host:port)";
            return false;
        }
        string host;
        string portText;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            if (close < 0)
            {
                error = $"bad address '{address}': missing ']' after the IPv6 host";
                return false;
            }
            host = rest[1..close];
            var after = rest[(close + 1)..];
            if (!after.StartsWith(':'))
            {
                error = $"bad address '{address}': no port (expected {scheme}://[ipv6]:port)";
                return false;
            }
            portText = after[1..];
            if (!IPAddress.TryParse(host, out _))
            {
                error = $"bad address '{address}': '{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            if (colon < 0)
            {
                error = $"bad address '{address}': no port (expected {scheme}://host:port)";
                return false;
            }
            host = rest[..colon];
            portText = rest[(colon + 1)..];
            if (host.Contains(':'))
            {
                error = $"bad address '{address}': put an IPv6 host in brackets, e.g. {scheme}://[::1]:8786";
                return false;
            }
            if (host.Length > 0 && Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                error = $"bad address '{address}': '{host}' is not a valid host name";
                return false;
            }
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"bad address '{address}': port '{portText}' is not a number from 0 to 65535";
            return false;
        }
        result = new ShoalAddress(scheme, host, port);
        return true;
    }

    /// <summary>The canonical text: <c>tcp://host:port</c>, <c>[ipv6]</c> in brackets, or <c>inproc://name</c>.</summary>
    public override string ToString() => Scheme == "inproc"
        ? $"inproc://{Host}"
        : Host.Contains(':') ? $"{Scheme}://[{Host}]:{Port}" : $"{Scheme}://{Host}:{Port}";
}

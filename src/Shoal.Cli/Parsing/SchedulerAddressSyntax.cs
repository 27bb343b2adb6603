using System.Globalization;

namespace Shoal.Cli.Parsing;

/// <summary>
/// Checks the form of a scheduler address given on the command line and writes it in the one
/// form the runtime dials: <c>tcp://host:port</c> or <c>tls://host:port</c>. A bare
/// <c>host:port</c> means TCP. <c>inproc://</c> addresses name an object inside one process,
/// so they mean nothing to a separate <c>shoal</c> process and are refused here.
/// </summary>
internal static class SchedulerAddressSyntax
{
    public static bool TryNormalize(string text, out string address, out string? error)
    {
        address = "";
        text = text.Trim();
        var scheme = "tcp";
        var rest = text;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            scheme = text[..schemeEnd].ToLowerInvariant();
            rest = text[(schemeEnd + 3)..];
        }

        if (scheme == "inproc")
        {
            error = "inproc:// addresses only work inside one process; give tcp://host:port";
            return false;
        }

        if (scheme is not ("tcp" or "tls"))
        {
            error = $"unknown scheme '{scheme}://' (use tcp://host:port or tls://host:port)";
            return false;
        }

        if (!TrySplitHostPort(rest, out var host, out var portText, out error))
        {
            return false;
        }

        if (Uri.CheckHostName(host.Trim('[', ']')) == UriHostNameType.Unknown)
        {
            error = $"'{host}' is not a host name or IP address";
            return false;
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            error = $"'{portText}' is not a port (1-65535)";
            return false;
        }

        address = $"{scheme}://{host}:{port}";
        return true;
    }

    private static bool TrySplitHostPort(string rest, out string host, out string port, out string? error)
    {
        host = port = "";
        error = null;
        if (rest.Contains('/', StringComparison.Ordinal))
        {
            error = "expected host:port with nothing after the port";
            return false;
        }

        int colon;
        if (rest.StartsWith('['))
        {
            // IPv6 literal: [addr]:port
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            colon = close + 1;
            if (close < 0 || colon >= rest.Length || rest[colon] != ':')
            {
                error = "expected [ipv6-address]:port";
                return false;
            }
        }
        else
        {
            colon = rest.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && rest.IndexOf(':', colon + 1) >= 0)
            {
                error = "an IPv6 address goes in brackets, e.g. tcp://[::1]:8786";
                return false;
            }
        }

        if (colon <= 0)
        {
            error = colon == 0 ? "the host is missing" : "the port is missing (expected host:port, e.g. tcp://127.0.0.1:8786)";
            return false;
        }

        host = rest[..colon];
        port = rest[(colon + 1)..];
        return true;
    }
}

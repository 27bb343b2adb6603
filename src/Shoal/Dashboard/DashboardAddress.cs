using System.Globalization;
using System.Net;

namespace Shoal.Dashboard;

/// <summary>A parsed <c>--dashboard-address</c>: <c>HOST:PORT</c>, <c>:PORT</c> (the scheduler's host), <c>[v6]:PORT</c>.</summary>
internal readonly record struct DashboardAddress(string? Host, int Port)
{
    /// <summary>Parses an address; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static DashboardAddress Parse(string text) =>
        TryParse(text, out var address, out var reason) ? address : throw new FormatException($"invalid dashboard address '{text}': {reason}");

    /// <summary>Parses <paramref name="text"/>, or says why it is not an address (without repeating the text).</summary>
    public static bool TryParse(string text, out DashboardAddress address, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(text);
        address = default;
        var t = text.Trim();
        if (t.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) t = t[7..];
        else if (t.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) t = t[8..];
        t = t.TrimEnd('/');
        int colon = t.LastIndexOf(':');
        if (colon < 0 || (t.StartsWith('[') && !t[..colon].EndsWith(']')))
        {
            reason = "expected HOST:PORT or :PORT";
            return false;
        }

        var host = t[..colon].Trim('[', ']');
        if (!int.TryParse(t[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            reason = "the port must be a number from 0 to 65535";
            return false;
        }

        address = new DashboardAddress(host.Length == 0 ? null : host, port);
        reason = null;
        return true;
    }

    /// <summary>The IP addresses to listen on, with <paramref name="schedulerHost"/> standing for a missing host.</summary>
    public IPAddress[] Resolve(string schedulerHost)
    {
        var host = Host ?? schedulerHost;
        if (host is "localhost") return [IPAddress.Loopback];
        if (host is "*" or "") return [IPAddress.Any];
        if (IPAddress.TryParse(host, out var ip)) return [ip];
        return Dns.GetHostAddresses(host);
    }
}

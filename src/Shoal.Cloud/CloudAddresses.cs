namespace Shoal.Cloud;

/// <summary>Addresses as workers on another machine must dial them.</summary>
internal static class CloudAddresses
{
    /// <summary><paramref name="address"/> (scheme://host:port) with its host replaced: a scheduler listening on 0.0.0.0 is dialled by a name or an IP.</summary>
    public static string WithHost(string address, string host)
    {
        var scheme = address.IndexOf("://", StringComparison.Ordinal);
        var port = address.LastIndexOf(':');
        if (scheme < 0 || port <= scheme) throw new ArgumentException($"not an address with a host and port: {address}", nameof(address));
        return $"{address[..(scheme + 3)]}{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}{address[port..]}";
    }

    /// <summary>The host workers dial when none is given: this machine's name.</summary>
    public static string DefaultHost() => System.Net.Dns.GetHostName();
}

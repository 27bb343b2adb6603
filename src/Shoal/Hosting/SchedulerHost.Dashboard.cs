using Shoal.Dashboard;

namespace Shoal.Hosting;

internal static partial class SchedulerHost
{
    /// <summary>The dashboard options a scheduler host's options stand for (null: none).</summary>
    internal static DashboardOptions? DashboardFor(SchedulerHostOptions options)
    {
        if (options.DashboardAddress is null && options.DashboardPort is null) return null;
        var address = options.DashboardAddress ?? ":8787";
        if (options.DashboardPort is { } port)
        {
            var parsed = DashboardAddress.Parse(address);
            address = (parsed.Host is { } host ? (host.Contains(':') ? $"[{host}]" : host) : "") + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // Only the default port moves to a free one when taken; an address asked for explicitly must be that one.
        return new DashboardOptions { Address = address, FallBackToFreePort = options.DashboardPort is null && address == ":8787" };
    }
}

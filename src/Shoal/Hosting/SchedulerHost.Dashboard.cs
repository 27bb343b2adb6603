using Shoal.Dashboard;

namespace Shoal.Hosting;

public static partial class SchedulerHost
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

    /// <summary>The line printed after "Scheduler at:": the link, or a one-time sign-in link off loopback.</summary>
    internal static string DashboardLine(DashboardServer dashboard)
    {
        var line = $"Dashboard at: {dashboard.Link}";
        if (dashboard.PortTaken is { } taken) line += $" (port {taken} was taken)";
        if (!dashboard.Access.Open) line += $" (sign in once, within 10 minutes: {dashboard.SignInLink()})";
        return line;
    }
}

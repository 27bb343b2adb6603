namespace Shoal.Flows;

/// <summary>
/// The one place that asks a cluster for its dashboard link (the seam for the dashboard work:
/// should <see cref="ICluster.DashboardLink"/> change, only this file follows).
/// </summary>
internal static class DashboardLinks
{
    public static string? Of(ICluster cluster) => cluster.DashboardLink;
}

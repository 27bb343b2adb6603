namespace Shoal.Dashboard;

/// <summary>What a dashboard credential allows.</summary>
internal enum DashboardRole
{
    /// <summary>Read every page and the API.</summary>
    Viewer,
    /// <summary>Also change the cluster: retire workers, set the adaptive target.</summary>
    Admin,
}

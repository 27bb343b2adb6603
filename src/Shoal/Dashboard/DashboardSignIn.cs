namespace Shoal.Dashboard;

/// <summary>Sign-in links: the dashboard's <c>/status</c> link turned into <c>/login?code=...</c>.</summary>
internal static class DashboardSignIn
{
    /// <summary>A one-time sign-in link for the dashboard whose status page is <paramref name="statusLink"/>.</summary>
    public static string Link(string statusLink, DashboardCredentials credentials, DashboardRole role, TimeSpan lifetime)
    {
        var baseAddress = statusLink.EndsWith("/status", StringComparison.Ordinal) ? statusLink[..^"/status".Length] : statusLink.TrimEnd('/');
        return $"{baseAddress}/login?code={Uri.EscapeDataString(credentials.NewCode(role, lifetime))}";
    }
}

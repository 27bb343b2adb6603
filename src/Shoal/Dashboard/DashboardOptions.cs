namespace Shoal.Dashboard;

/// <summary>How the scheduler serves its dashboard.</summary>
internal sealed record DashboardOptions
{
    /// <summary>
    /// <c>HOST:PORT</c>, or <c>:PORT</c> for the scheduler's own host; port 0 picks a free port.
    /// Default <c>:8787</c>, as Dask's.
    /// </summary>
    public string Address { get; init; } = ":8787";

    /// <summary>When the default port is taken, serve on a free port instead of failing (as Dask does).</summary>
    public bool FallBackToFreePort { get; init; } = true;

    /// <summary>How often the live stream sends an update (the aggregation interval).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a one-time sign-in code stays valid.</summary>
    public TimeSpan CodeLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Ask for credentials on loopback too (off loopback they are always asked for).</summary>
    public bool RequireCredentials { get; init; }

    /// <summary>How long a browser session (the cookie) lasts.</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(12);
}

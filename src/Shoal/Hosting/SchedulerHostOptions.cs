namespace Shoal.Hosting;

/// <summary>
/// How to run a standalone scheduler process (what <c>shoal scheduler</c> starts).
/// </summary>
internal sealed record SchedulerHostOptions
{
    /// <summary>Address the scheduler listens on. Loopback by default.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port for workers and clients; 0 picks a free port. Default 8786, as Dask's.</summary>
    public int Port { get; init; } = 8786;

    /// <summary>
    /// Where the dashboard listens: <c>HOST:PORT</c>, or <c>:PORT</c> on the scheduler's host (port 0
    /// picks a free port). Default <c>:8787</c>, as Dask's (a free port when 8787 is taken); null
    /// runs no dashboard (<c>--no-dashboard</c>).
    /// </summary>
    public string? DashboardAddress { get; init; } = ":8787";

    /// <summary>HTTP port of the dashboard (0 picks a free port); when set, it replaces the port of <see cref="DashboardAddress"/>.</summary>
    public int? DashboardPort { get; init; }

    /// <summary>
    /// Shut down after this long without any client connected and no tasks; null never does.
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>
    /// Credentials clients and workers must prove. Null on loopback: a per-cluster token written to
    /// <c>~/.shoal/clusters/</c> (readable only by this user), where workers and clients on this
    /// machine find it. Null elsewhere: refused unless <see cref="Insecure"/>.
    /// </summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>
    /// Where credentials nobody passed are found (and, for a scheduler on loopback, its token file
    /// written): this user's unless a caller (a test, a cluster) passes its own.
    /// </summary>
    public Shoal.Security.LocalCredentials Credentials { get; init; } = Shoal.Security.LocalCredentials.ForThisUser;

    /// <summary>Listen in clear on a non-loopback address (warned about at start and on each client).</summary>
    public bool Insecure { get; init; }

    /// <summary>An OpenTelemetry collector to push the scheduler's metrics to (OTLP); null: none. Read by the CLI, which carries the exporter.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>The OTLP protocol: <c>http/protobuf</c> (the default) or <c>grpc</c>.</summary>
    public string? OtlpProtocol { get; init; }

    /// <summary>How often metrics are pushed over OTLP; null: the CLI's default (10 s).</summary>
    public TimeSpan? OtlpInterval { get; init; }
}

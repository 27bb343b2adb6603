using Microsoft.Extensions.Logging;

namespace Shoal.Deploy;

/// <summary>What <see cref="SshCluster.StartAsync"/> starts, and where.</summary>
public sealed record SshClusterOptions
{
    /// <summary>
    /// The hosts (<c>[user@]host</c>, or names from the ssh configuration): the first runs the
    /// scheduler, the others the workers (the first too when it is the only one), as Dask's SSHCluster.
    /// </summary>
    public required IReadOnlyList<string> Hosts { get; init; }

    /// <summary>How ssh reaches the hosts.</summary>
    public SshOptions Ssh { get; init; } = new();

    /// <summary>Workers started on each worker host. Default 1.</summary>
    public int WorkersPerHost { get; init; } = 1;

    /// <summary>Threads per worker. Default 1.</summary>
    public int ThreadsPerWorker { get; init; } = 1;

    /// <summary>Memory limit per worker in bytes; 0: none. Default 0.</summary>
    public long MemoryLimitPerWorker { get; init; }

    /// <summary>The address the scheduler listens on, on the first host. Default: that host's name as given (without <c>user@</c>).</summary>
    public string? SchedulerHost { get; init; }

    /// <summary>The scheduler's port (0: any free one). Default 0.</summary>
    public int SchedulerPort { get; init; }

    /// <summary>The scheduler's dashboard port (0: any free one; null: no dashboard). Default 8787, or a free port when it is taken.</summary>
    public int? DashboardPort { get; init; } = 8787;

    /// <summary>
    /// Credentials of the cluster. Null (the default): a new CA and certificates for this cluster
    /// (TLS, as Dask's <c>Security.temporary()</c>), each remote process's certificate handed to
    /// it over its SSH channel.
    /// </summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>More <c>shoal worker</c> arguments for every worker.</summary>
    public IReadOnlyList<string> WorkerArguments { get; init; } = [];

    /// <summary>How long the start waits for the scheduler and the workers. Default 60 s.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where the cluster logs, with the remote processes' output; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

using Microsoft.Extensions.Logging;

namespace Shoal.Deploy;

/// <summary>How a <see cref="SpecCluster"/> starts its scheduler and what its workers look like.</summary>
public sealed record SpecClusterOptions
{
    /// <summary>Where the workers run (required).</summary>
    public required IWorkerLauncher Launcher { get; init; }

    /// <summary>Workers to start with. Default 0.</summary>
    public int Workers { get; init; }

    /// <summary>Threads per worker. Default 1.</summary>
    public int ThreadsPerWorker { get; init; } = 1;

    /// <summary>Memory limit per worker in bytes; 0: none. Default 0.</summary>
    public long MemoryLimitPerWorker { get; init; }

    /// <summary>Credentials; null: a new token for this cluster (the launcher hands each worker its share).</summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>Where credentials nobody passed are found: this user's unless the process (a test) passes its own.</summary>
    internal Shoal.Security.LocalCredentials Credentials { get; init; } = Shoal.Security.LocalCredentials.ForThisUser;

    /// <summary>Address the scheduler listens on when the workers are not in this process. Default loopback.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port of the scheduler (0: any free one). Default 0.</summary>
    public int SchedulerPort { get; init; }

    /// <summary>Prefix of worker names (NAME-0, NAME-1, ...). Default: "spec-" and a random id.</summary>
    public string? NamePrefix { get; init; }

    /// <summary>How long <see cref="SpecCluster.ScaleAsync"/> waits for workers to register. Default 60 s.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where the cluster and its scheduler log; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>How <see cref="SpecCluster.AdaptAsync(AdaptOptions, CancellationToken)"/> sizes the cluster.</summary>
public sealed record AdaptOptions
{
    /// <summary>Never fewer workers. Default 0.</summary>
    public int Minimum { get; init; }

    /// <summary>Never more workers. Default: no bound.</summary>
    public int Maximum { get; init; } = int.MaxValue;

    /// <summary>How often the scheduler's target is read. Default 1 s (Dask's adapt interval).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Readings in a row the target must stay lower before workers are retired. Default 3 (Dask's wait_count).</summary>
    public int WaitCount { get; init; } = 3;

    /// <summary>Seconds the backlog should take: less means more workers. Default 5 (Dask's target_duration).</summary>
    public double TargetDuration { get; init; } = 5;
}

/// <summary>A change of a cluster's size.</summary>
/// <param name="From">Workers before.</param>
/// <param name="To">Workers wanted after.</param>
/// <param name="Adaptive">True when adaptive scaling made it, false for <see cref="SpecCluster.ScaleAsync"/>.</param>
public sealed record ScaleEvent(int From, int To, bool Adaptive);

using Shoal.Platform;
namespace Shoal.Hosting;

/// <summary>
/// How to run worker processes that join a scheduler (what <c>shoal worker ADDRESS</c> starts).
/// </summary>
internal sealed record WorkerHostOptions
{
    /// <summary>The scheduler to join, as <c>tcp://host:port</c> or <c>tls://host:port</c>.</summary>
    public required string SchedulerAddress { get; init; }

    /// <summary>Threads running tasks in each worker. Default: the number of processors.</summary>
    public int NThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>Number of worker processes to start. Default 1.</summary>
    public int NWorkers { get; init; } = 1;

    /// <summary>
    /// The worker's name as the scheduler shows it; null lets the scheduler name it. With
    /// several workers each gets this name followed by "-" and its index.
    /// </summary>
    public string? Name { get; init; }

    /// <summary>
    /// Memory limit of each worker, in bytes; 0 means no limit. Null (the default) means the
    /// machine's total memory divided by <see cref="NWorkers"/>; see
    /// <see cref="GetMemoryLimitPerWorker"/>.
    /// </summary>
    public long? MemoryLimit { get; init; }

    /// <summary>
    /// Abstract resources each worker offers, e.g. GPU=1, MEM=8e9; tasks that ask for them run
    /// at most that much at once. Empty by default.
    /// </summary>
    public IReadOnlyDictionary<string, double> Resources { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// A worker that cannot reach its scheduler for this long exits by itself (shorter outages
    /// are survived by reconnecting); null means <see cref="DefaultDeathTimeout"/>.
    /// </summary>
    public TimeSpan? DeathTimeout { get; init; }

    /// <summary>The death timeout when none is given: 60 s.</summary>
    public static TimeSpan DefaultDeathTimeout { get; } = TimeSpan.FromSeconds(60);

    /// <summary>Fraction of the memory limit past which results spill to disk (0: never). Default 0.6.</summary>
    public double MemoryTargetFraction { get; init; } = 0.6;

    /// <summary>Fraction of the memory limit, in process memory, past which the worker starts no new tasks (0: never). Default 0.8.</summary>
    public double MemoryPauseFraction { get; init; } = 0.8;

    /// <summary>Fraction of the memory limit past which the nanny restarts the worker (0: never). Default 0.95.</summary>
    public double MemoryTerminateFraction { get; init; } = 0.95;

    /// <summary>Options with every default (for the CLI's help).</summary>
    internal static WorkerHostOptions Defaults { get; } = new() { SchedulerAddress = "" };

    /// <summary>Directory for spilled results (a fresh one per worker under it); null: the system temp directory.</summary>
    public string? LocalDirectory { get; init; }

    /// <summary>
    /// Run each worker under a nanny process that restarts it when it dies or passes its memory
    /// terminate threshold (the default); false runs the workers in this process.
    /// </summary>
    public bool Nanny { get; init; } = true;

    /// <summary>
    /// Address the worker listens on for peers and clients; null picks the local address that
    /// reaches the scheduler.
    /// </summary>
    public string? ListenHost { get; init; }

    /// <summary>Credentials; null: those this machine knows for the scheduler's address (its token file), else none.</summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>
    /// Where credentials nobody passed are found (and, for a scheduler on loopback, its token file
    /// written): this user's unless a caller (a test, a cluster) passes its own.
    /// </summary>
    public Shoal.Security.LocalCredentials Credentials { get; init; } = Shoal.Security.LocalCredentials.ForThisUser;

    /// <summary>
    /// Serve the workers' data plane in clear on a non-loopback <see cref="ListenHost"/> (warned
    /// about at start and on each connection); without it such a host needs TLS credentials.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>
    /// The memory limit each worker gets: <see cref="MemoryLimit"/> when set, otherwise the
    /// memory available to this process (the container limit if there is one) divided by
    /// <see cref="NWorkers"/>. 0 means no limit.
    /// </summary>
    /// <returns>Bytes per worker.</returns>
    public long GetMemoryLimitPerWorker() =>
        MemoryLimit ?? MachineMemory.TotalBytes / Math.Max(1, NWorkers);

    /// <summary>
    /// Port of each worker's own HTTP endpoint (<c>/metrics</c>, <c>/health</c>), reported to the
    /// scheduler and linked from its /workers page: worker i of <see cref="NWorkers"/> listens on
    /// this port + i; 0 picks free ports; null (the default) serves none.
    /// </summary>
    public int? HttpPort { get; init; }

    /// <summary>
    /// An OpenTelemetry collector to push the workers' metrics to (OTLP, e.g. <c>http://collector:4318</c>);
    /// null: none. Read by the CLI, which carries the exporter.
    /// </summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>The OTLP protocol: <c>http/protobuf</c> (the default) or <c>grpc</c>.</summary>
    public string? OtlpProtocol { get; init; }

    /// <summary>How often metrics are pushed over OTLP; null: the exporter's default in the CLI (10 s).</summary>
    public TimeSpan? OtlpInterval { get; init; }

    /// <summary>The workers' own log lines at or above this level go to the scheduler too (default Warning); tasks' lines from Information up.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogForwardLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Warning;

    /// <summary>The HTTP port of worker <paramref name="index"/>: <see cref="HttpPort"/> + index, 0 stays 0, null when none.</summary>
    public int? HttpPortOf(int index) => HttpPort is { } port ? (port == 0 ? 0 : port + index) : null;

    /// <summary>The flags a nanny passes on to its worker process for its endpoint and its metrics export.</summary>
    internal static IEnumerable<string> ObservabilityArguments(WorkerHostOptions o)
    {
        if (o.HttpPort is { } port)
        {
            yield return "--http-port";
            yield return port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (o.OtlpEndpoint is { } endpoint)
        {
            yield return "--otlp-endpoint";
            yield return endpoint;
        }

        if (o.OtlpProtocol is { } protocol)
        {
            yield return "--otlp-protocol";
            yield return protocol;
        }

        if (o.LogForwardLevel != Microsoft.Extensions.Logging.LogLevel.Warning)
        {
            yield return "--log-forward-level";
            yield return o.LogForwardLevel.ToString();
        }

        if (o.OtlpInterval is { } interval)
        {
            yield return "--otlp-interval";
            yield return ((long)interval.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) + "ms";
        }
    }
}

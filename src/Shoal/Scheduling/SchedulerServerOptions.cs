using Microsoft.Extensions.Logging;

namespace Shoal.Scheduling;

/// <summary>How to run a scheduler server.</summary>
internal sealed record SchedulerServerOptions
{
    /// <summary>Where to listen: <c>tcp://host:port</c> (port 0: any free port) or <c>inproc://name</c>.</summary>
    public string ListenAddress { get; init; } = "tcp://127.0.0.1:8786";

    /// <summary>The state machine's tuning.</summary>
    public SchedulerConfig Config { get; init; } = new();

    /// <summary>How often the state machine gets a tick (work stealing, timeouts).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Heartbeat interval asked of workers.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A worker silent this long (no heartbeat or other message) is removed as lost (Dask's
    /// <c>worker-ttl</c>); null never removes a worker for silence. Default 5 minutes, as Dask's.
    /// </summary>
    public TimeSpan? WorkerTtl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// With no client connected and no task for this long, <see cref="SchedulerServer.Idle"/>
    /// completes (the host then exits); null never does.
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>
    /// How long to wait, after the connection of a worker run by a nanny closed, for the nanny to
    /// say why it died before removing it with "connection lost" as the cause.
    /// </summary>
    public TimeSpan NannyReportGrace { get; init; } = TimeSpan.FromSeconds(2);

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Credentials clients and workers must prove; null: none (allowed on loopback only, unless <see cref="Insecure"/>).</summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>Listen in clear on a non-loopback address anyway (warned about).</summary>
    public bool Insecure { get; init; }

    /// <summary>The web dashboard to serve; null serves none.</summary>
    public Dashboard.DashboardOptions? Dashboard { get; init; }

    /// <summary>The scheduler's id (random by default).</summary>
    public string Id { get; init; } = $"scheduler-{Guid.NewGuid():N}";
}

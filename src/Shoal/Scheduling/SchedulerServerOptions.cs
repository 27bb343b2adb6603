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

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Credentials clients and workers must prove; null: none (allowed on loopback only, unless <see cref="Insecure"/>).</summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>Listen in clear on a non-loopback address anyway (warned about).</summary>
    public bool Insecure { get; init; }

    /// <summary>The scheduler's id (random by default).</summary>
    public string Id { get; init; } = $"scheduler-{Guid.NewGuid():N}";
}

using Microsoft.Extensions.Logging;

namespace Shoal.Execution;

/// <summary>How to run a worker server.</summary>
internal sealed record WorkerServerOptions
{
    /// <summary>The scheduler to register with.</summary>
    public required string SchedulerAddress { get; init; }

    /// <summary>Where to serve data to peers and clients (<c>tcp://host:0</c> picks a free port; <c>inproc://</c> in-process).</summary>
    public string ListenAddress { get; init; } = "tcp://127.0.0.1:0";

    /// <summary>The worker's name (stable across restarts).</summary>
    public string Name { get; init; } = $"worker-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Threads that run tasks.</summary>
    public int NThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>Memory limit in bytes (0: none).</summary>
    public long MemoryLimit { get; init; }

    /// <summary>Abstract resources, e.g. GPU=1.</summary>
    public IReadOnlyDictionary<string, double> Resources { get; init; } = new Dictionary<string, double>();

    /// <summary>How often to tell the scheduler about load and memory.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where shipped code is cached on disk.</summary>
    public string? CodeDirectory { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Credentials for the scheduler and peers; null: those this process knows for the scheduler's address.</summary>
    public SecurityOptions? Security { get; init; }
}

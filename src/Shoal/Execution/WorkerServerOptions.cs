using Microsoft.Extensions.Logging;
using Shoal.Platform;

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

    /// <summary>
    /// The memory accounting this worker shares with the other workers in its process (its limit
    /// is their limits summed; pauses compare the process's memory with that). Null: the worker
    /// has the process to itself, and its own limit is the process's.
    /// </summary>
    public ProcessMemoryAccount? ProcessMemory { get; init; }

    /// <summary>Abstract resources, e.g. GPU=1.</summary>
    public IReadOnlyDictionary<string, double> Resources { get; init; } = new Dictionary<string, double>();

    /// <summary>How often to tell the scheduler about load and memory.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where shipped code is cached on disk.</summary>
    public string? CodeDirectory { get; init; }

    /// <summary>
    /// A worker that cannot reach its scheduler for this long stops (Dask's <c>--death-timeout</c>);
    /// shorter outages are survived by reconnecting and re-registering the data it holds. Null: never.
    /// </summary>
    public TimeSpan? DeathTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The scheduler connection counts as lost after this long without any message from the
    /// scheduler (the worker pings it every heartbeat), even if TCP has not noticed. A shorter
    /// <see cref="DeathTimeout"/> shortens it (see <see cref="SchedulerSilenceLimit"/>).
    /// </summary>
    public TimeSpan SchedulerSilenceTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The silence that counts as a lost scheduler: <see cref="SchedulerSilenceTimeout"/>, or the
    /// death timeout when that is shorter, so that a worker cut off for its death timeout stops
    /// then, not only once the longer silence limit noticed the cut (a cut link closes nothing).
    /// </summary>
    public TimeSpan SchedulerSilenceLimit =>
        DeathTimeout is { } death && death > TimeSpan.Zero && death < SchedulerSilenceTimeout ? death : SchedulerSilenceTimeout;

    /// <summary>True when a nanny runs this worker (the scheduler then waits briefly for the nanny's word on a death).</summary>
    public bool Nanny { get; init; }

    /// <summary>The id this worker's nanny gave it on their pipe (sent in RegisterWorker: binds the nanny's reports to this worker); null without a nanny.</summary>
    public string? NannyId { get; init; }

    /// <summary>
    /// The result journal its nanny keeps for it (see <see cref="ResultJournal"/>): small results are
    /// written there so that they outlive this process, and what a dead predecessor left there is
    /// taken back at start. Null: no journal, at no cost.
    /// </summary>
    public string? JournalPath { get; init; }

    /// <summary>Fraction of <see cref="MemoryLimit"/> past which least-recently-used results spill to disk (Dask's target, 0.6); 0: never.</summary>
    public double MemoryTargetFraction { get; init; } = 0.6;

    /// <summary>Fraction of <see cref="MemoryLimit"/> of process memory past which the worker starts no new tasks (Dask's pause, 0.8); 0: never.</summary>
    public double MemoryPauseFraction { get; init; } = 0.8;

    /// <summary>Where spilled values go (a fresh directory under it per worker, removed when it stops); null: the system temp directory.</summary>
    public string? SpillDirectory { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Credentials for the scheduler and peers; null: those this process knows for the scheduler's address.</summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>
    /// Where credentials nobody passed are found (and, for a scheduler on loopback, its token file
    /// written): this user's unless a caller (a test, a cluster) passes its own.
    /// </summary>
    public Shoal.Security.LocalCredentials Credentials { get; init; } = Shoal.Security.LocalCredentials.ForThisUser;

    /// <summary>
    /// Serve the data plane in clear on a non-loopback <see cref="ListenAddress"/> (warned about at
    /// start and on each connection); without it such a listener needs TLS credentials.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>
    /// The thread-pool reservation this worker adds its threads to: one shared by every worker of
    /// the process that started them together; null for a worker alone in its process.
    /// </summary>
    public ThreadPoolReservation? ThreadPool { get; init; }

    /// <summary>
    /// The worker's instruments, when its host made them beforehand to export them (its HTTP
    /// endpoint starts before the worker registers); null: the worker makes its own.
    /// </summary>
    public WorkerInstruments? Instruments { get; init; }

    /// <summary>The worker's own HTTP endpoint (<c>/metrics</c>), reported to the scheduler for its /workers page; null: none.</summary>
    public string? HttpAddress { get; init; }

    /// <summary>
    /// The worker's own log lines at or above this level go to the scheduler too (Warning by
    /// default); its tasks' lines (<see cref="WorkerContext.Logger"/>) go from Information up, or from this level when lower.
    /// </summary>
    public LogLevel LogForwardLevel { get; init; } = LogLevel.Warning;
}

using Microsoft.Extensions.Logging;
using Shoal.Scheduling;

namespace Shoal;

/// <summary>Options for <see cref="LocalCluster.StartAsync(LocalClusterOptions?, CancellationToken)"/>.</summary>
public sealed record LocalClusterOptions
{
    /// <summary>
    /// Run each worker in its own child process (true) or in this process (false, the default:
    /// .NET has no GIL, so threads are enough, and nothing is serialised).
    /// </summary>
    public bool Processes { get; init; }

    /// <summary>
    /// With <see cref="Processes"/>: run each worker process under a nanny, as <c>shoal worker</c>
    /// does by default, which restarts a worker that dies (from a warm spare process) and tells the
    /// scheduler why it died. False (the default): the cluster watches plain worker processes.
    /// </summary>
    public bool Nanny { get; init; }

    /// <summary>Number of workers. Default: 1 in-process; with processes, one per core up to 4, then fewer with more threads each.</summary>
    public int? Workers { get; init; }

    /// <summary>Threads per worker. Default: the cores divided among the workers.</summary>
    public int? ThreadsPerWorker { get; init; }

    /// <summary>Memory limit per worker in bytes (0: none). Default: the machine's memory divided among the workers.</summary>
    public long? MemoryLimitPerWorker { get; init; }

    /// <summary>Abstract resources every worker declares, e.g. <c>{"GPU": 1}</c>.</summary>
    public IReadOnlyDictionary<string, double>? Resources { get; init; }

    /// <summary>Interface the scheduler and workers listen on when <see cref="Processes"/> is true.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The scheduler's port when <see cref="Processes"/> is true (0: any free port).</summary>
    public int SchedulerPort { get; init; }

    /// <summary>
    /// Where the scheduler serves its dashboard: <c>HOST:PORT</c> or <c>:PORT</c> on <see cref="Host"/>
    /// (port 0: a free port). Default <c>:8787</c>, or a free port when 8787 is taken, as Dask's
    /// LocalCluster; null serves no dashboard. See <see cref="LocalCluster.DashboardLink"/>.
    /// </summary>
    public string? DashboardAddress { get; init; } = ":8787";

    /// <summary>
    /// Serve each worker's metrics (Prometheus text at <c>/metrics</c>, meter <c>Shoal.Worker</c>) over HTTP
    /// on <see cref="Host"/>, as <c>shoal worker --http-port</c> does: worker <i>i</i> (in the order started)
    /// gets this port + <i>i</i>; 0 gives each a free port. Each worker's address is reported to the scheduler
    /// (<c>http_address</c> in the dashboard's <c>/api/v1/workers</c> and on its /workers page). Null (the
    /// default): none. Works with in-process workers and with <see cref="Processes"/>.
    /// </summary>
    public int? WorkerHttpPort { get; init; }

    /// <summary>How long to wait for the workers to register.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The worker host for <see cref="Processes"/>: a path to <c>Shoal.Cli.dll</c> or a <c>shoal</c>
    /// executable. By default: the <c>SHOAL_CLI</c> environment variable, then <c>Shoal.Cli.dll</c>
    /// beside the application, then <c>shoal</c> on the PATH.
    /// </summary>
    public string? WorkerCommand { get; init; }

    /// <summary>Where workers spill results to disk past their memory target (a directory per worker under it); null: the temp directory.</summary>
    public string? SpillDirectory { get; init; }

    /// <summary>Adjusts the scheduler's options (tests: worker-ttl, allowed failures).</summary>
    internal Func<SchedulerServerOptions, SchedulerServerOptions>? ConfigureScheduler { get; init; }

    /// <summary>More <c>shoal worker</c> arguments for worker processes (tests: death timeout, nanny).</summary>
    internal IReadOnlyList<string> ExtraWorkerArguments { get; init; } = [];

    /// <summary>Called with the scheduler's address as soon as it listens, before the workers start (for <c>shoal local</c>'s first line).</summary>
    internal Action<string>? SchedulerStarted { get; init; }

    /// <summary>Called with the dashboard's line ("Dashboard at: ...") right after <see cref="SchedulerStarted"/>, when there is a dashboard.</summary>
    internal Action<string>? DashboardStarted { get; init; }

    /// <summary>Where the scheduler and workers log (and where worker processes' output goes).</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Credentials of the cluster. Null (the default): a fresh per-cluster token, created here and
    /// handed to worker processes through their environment (never their command line), so that
    /// only this process and its workers can connect. Pass <see cref="SecurityOptions.Temporary"/>
    /// for TLS as well.
    /// </summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>Where credentials nobody passed are found: this user's unless the process (a test) passes its own.</summary>
    internal Shoal.Security.LocalCredentials Credentials { get; init; } = Shoal.Security.LocalCredentials.ForThisUser;
}

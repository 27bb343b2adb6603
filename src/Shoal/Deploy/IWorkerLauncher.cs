namespace Shoal.Deploy;

/// <summary>
/// Starts and stops workers in one kind of place (threads of this process, child processes, SSH
/// hosts, pods, VMs) for a <see cref="SpecCluster"/>, which decides how many there should be and
/// which ones go. A launcher only carries out what it is told, by worker name.
/// </summary>
public interface IWorkerLauncher : IAsyncDisposable
{
    /// <summary>True when the workers run in this process: the scheduler then listens in-process (nothing is serialised).</summary>
    bool InProcess { get; }

    /// <summary>
    /// Starts the worker <paramref name="worker"/> describes. Completes when it is started (not
    /// necessarily registered: the cluster watches the scheduler for that).
    /// </summary>
    /// <param name="worker">Its name, its scheduler, its size and credentials.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    Task StartAsync(WorkerLaunch worker, CancellationToken cancellationToken = default);

    /// <summary>Stops the worker named <paramref name="name"/> (gracefully, then by force); nothing when it is not running.</summary>
    /// <param name="name">The worker's name.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    Task StopAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>What the launcher knows of the worker named <paramref name="name"/>.</summary>
    /// <param name="name">The worker's name.</param>
    WorkerLaunchStatus GetStatus(string name);

    /// <summary>The worker's most recent log lines, as the launcher collects them (empty when it collects none).</summary>
    /// <param name="name">The worker's name.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    Task<IReadOnlyList<string>> GetLogsAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>A worker to start: what every launcher needs to know.</summary>
/// <param name="Name">Its name (unique in the cluster: the scheduler, the cluster and the launcher all use it).</param>
/// <param name="SchedulerAddress">The scheduler it joins.</param>
/// <param name="Threads">Threads running tasks.</param>
/// <param name="MemoryLimit">Memory limit in bytes; 0: none.</param>
/// <param name="Security">Its credentials (already narrowed to the worker role).</param>
public sealed record WorkerLaunch(string Name, string SchedulerAddress, int Threads, long MemoryLimit, SecurityOptions Security);

/// <summary>Where a launched worker stands, as its launcher sees it.</summary>
public enum WorkerLaunchStatus
{
    /// <summary>The launcher has never started a worker of that name, or forgot it.</summary>
    Unknown,

    /// <summary>Being started.</summary>
    Starting,

    /// <summary>Started and running.</summary>
    Running,

    /// <summary>Stopped when asked.</summary>
    Stopped,

    /// <summary>Ended without being asked (crashed, could not start).</summary>
    Failed,
}

namespace Shoal;

/// <summary>A snapshot of a cluster as its scheduler sees it.</summary>
/// <param name="SchedulerId">The scheduler's id.</param>
/// <param name="Address">The scheduler's address.</param>
/// <param name="Workers">The connected workers.</param>
/// <param name="Tasks">Tasks the scheduler holds.</param>
public sealed record ClusterInfo(string SchedulerId, string Address, IReadOnlyList<WorkerDescription> Workers, long Tasks);

/// <summary>One worker, as the scheduler sees it.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Address">Where it serves data.</param>
/// <param name="NThreads">Threads it runs tasks on.</param>
/// <param name="MemoryLimit">Its memory limit in bytes (0: none).</param>
/// <param name="Resources">Abstract resources it declared.</param>
/// <param name="Executing">Tasks executing on it at its last heartbeat.</param>
/// <param name="StoredKeys">Results it holds.</param>
public sealed record WorkerDescription(string Name, string Address, int NThreads, long MemoryLimit,
    IReadOnlyDictionary<string, double> Resources, int Executing, int StoredKeys);

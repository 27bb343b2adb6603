using Shoal.Platform;
namespace Shoal.Hosting;

/// <summary>
/// How to run a single-node cluster in one command (what <c>shoal local</c> starts): one
/// scheduler and <see cref="Workers"/> worker processes on this machine.
/// </summary>
internal sealed record LocalHostOptions
{
    /// <summary>
    /// Number of worker processes. Default 1: .NET has no global interpreter lock, so one
    /// process with a thread per core uses the machine fully; more processes buy isolation.
    /// </summary>
    public int Workers { get; init; } = 1;

    /// <summary>Threads running tasks in each worker. Default: processors divided by <see cref="Workers"/>, at least 1.</summary>
    public int? ThreadsPerWorker { get; init; }

    /// <summary>
    /// Memory limit of each worker, in bytes; 0 means no limit. Null (the default) means the
    /// machine's total memory divided by <see cref="Workers"/>.
    /// </summary>
    public long? MemoryPerWorker { get; init; }

    /// <summary>Address the scheduler listens on. Loopback by default.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port of the scheduler; 0 picks a free port. Default 8786.</summary>
    public int Port { get; init; } = 8786;

    /// <summary>Each worker's /metrics port (<c>--http-port</c>): worker i gets this + i; 0: free ports; null (the default): none.</summary>
    public int? WorkerHttpPort { get; init; }

    /// <summary>
    /// The cluster's credentials (the scheduler's and the workers' certificates, a token), from
    /// <c>--tls-*</c> / <c>--token-file</c>; null: a token for this machine's processes only (and loopback only).
    /// </summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>
    /// Where credentials nobody passed are found (and, for a scheduler on loopback, its token file
    /// written): this user's unless a caller (a test, a cluster) passes its own.
    /// </summary>
    public Shoal.Security.LocalCredentials Credentials { get; init; } = Shoal.Security.LocalCredentials.ForThisUser;

    /// <summary>The threads each worker gets: <see cref="ThreadsPerWorker"/> or the processors shared out.</summary>
    /// <returns>Threads per worker, at least 1.</returns>
    public int GetThreadsPerWorker() =>
        ThreadsPerWorker ?? Math.Max(1, Environment.ProcessorCount / Math.Max(1, Workers));

    /// <summary>The memory limit each worker gets: <see cref="MemoryPerWorker"/> or the memory shared out. 0 means no limit.</summary>
    /// <returns>Bytes per worker.</returns>
    public long GetMemoryPerWorker() =>
        MemoryPerWorker ?? MachineMemory.TotalBytes / Math.Max(1, Workers);
}

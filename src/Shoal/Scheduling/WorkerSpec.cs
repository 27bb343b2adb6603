namespace Shoal.Scheduling;

/// <summary>What a worker declares when it joins the scheduler.</summary>
/// <param name="Name">Unique worker name (restrictions may name it).</param>
/// <param name="Address">Contact address (restrictions may name it).</param>
/// <param name="NThreads">Number of task threads.</param>
/// <param name="MemoryLimit">Memory limit in bytes (0 = none).</param>
/// <param name="Resources">Abstract resources it offers, e.g. GPU=1.</param>
/// <param name="HeldKeys">Keys (with sizes in bytes) it already holds, e.g. on reconnect.</param>
internal sealed record WorkerSpec(
    string Name,
    string Address,
    int NThreads,
    long MemoryLimit,
    IReadOnlyDictionary<string, double> Resources,
    IReadOnlyList<KeyValuePair<string, long>> HeldKeys)
{
    /// <summary>Process id of the worker (0 when unknown): tells a restarted worker apart from its predecessor of the same name.</summary>
    public int Pid { get; init; }
}

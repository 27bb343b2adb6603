namespace Shoal;

/// <summary>The versions one process runs: Shoal's, the .NET runtime's and the operating system's.</summary>
/// <param name="Shoal">Shoal's version (informational, with the commit).</param>
/// <param name="Runtime">The .NET runtime, e.g. ".NET 10.0.0".</param>
/// <param name="OperatingSystem">The operating system's description.</param>
public sealed record ProcessVersions(string Shoal, string Runtime, string OperatingSystem);

/// <summary>
/// The versions of the client, the scheduler and every worker, compared (Dask's <c>get_versions</c>): what differs
/// from the client is listed in <see cref="Mismatches"/>.
/// </summary>
/// <param name="Client">This process.</param>
/// <param name="Scheduler">The scheduler's process.</param>
/// <param name="Workers">Each worker's process, by worker name.</param>
public sealed record ClusterVersions(ProcessVersions Client, ProcessVersions Scheduler, IReadOnlyDictionary<string, ProcessVersions> Workers)
{
    /// <summary>One line per process whose Shoal version or runtime differs from the client's; empty when all agree.</summary>
    public IReadOnlyList<string> Mismatches { get; } = Compare(Client, Scheduler, Workers);

    private static string[] Compare(ProcessVersions client, ProcessVersions scheduler, IReadOnlyDictionary<string, ProcessVersions> workers) =>
    [
        .. new[] { ("scheduler", scheduler) }.Concat(workers.Select(w => ($"worker {w.Key}", w.Value)))
            .SelectMany(p => Differences(p.Item1, p.Item2, client)),
    ];

    private static IEnumerable<string> Differences(string who, ProcessVersions theirs, ProcessVersions client)
    {
        if (theirs.Shoal != client.Shoal) yield return $"{who} runs Shoal {theirs.Shoal}, the client {client.Shoal}";
        if (theirs.Runtime.Length > 0 && theirs.Runtime != client.Runtime) yield return $"{who} runs {theirs.Runtime}, the client {client.Runtime}";
    }
}

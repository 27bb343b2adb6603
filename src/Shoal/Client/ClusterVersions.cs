namespace Shoal;

/// <summary>One assembly of user code a process has loaded.</summary>
/// <param name="Name">The assembly's simple name.</param>
/// <param name="Version">The assembly version.</param>
/// <param name="Hash">SHA-256 of its file, lowercase hex: two builds of one version differ here.</param>
public sealed record CodeVersion(string Name, string Version, string Hash)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} {Version} ({Hash[..Math.Min(12, Hash.Length)]})";
}

/// <summary>The versions one process runs: Shoal's, the .NET runtime's and the operating system's.</summary>
/// <param name="Shoal">Shoal's version (informational, with the commit).</param>
/// <param name="Runtime">The .NET runtime, e.g. ".NET 10.0.0".</param>
/// <param name="OperatingSystem">The operating system's description.</param>
public sealed record ProcessVersions(string Shoal, string Runtime, string OperatingSystem)
{
    /// <summary>
    /// The user code in use: for the client, the assemblies its tasks have shipped to the workers so far; for a worker,
    /// every build of shipped code its tasks loaded (each client's code set loads in a context of its own); for the
    /// scheduler, none (it never loads user code).
    /// </summary>
    public IReadOnlyList<CodeVersion> Code { get; init; } = [];
}

/// <summary>
/// The versions of the client, the scheduler and every worker, compared (Dask's <c>get_versions</c>): what differs
/// from the client is listed in <see cref="Mismatches"/>.
/// </summary>
/// <param name="Client">This process.</param>
/// <param name="Scheduler">The scheduler's process.</param>
/// <param name="Workers">Each worker's process, by worker name.</param>
public sealed record ClusterVersions(ProcessVersions Client, ProcessVersions Scheduler, IReadOnlyDictionary<string, ProcessVersions> Workers)
{
    /// <summary>
    /// One line per difference from the client: a process whose Shoal version or runtime differs, and a worker that has
    /// loaded an assembly the client's tasks use, but only other builds of it (another client's, or an earlier run's),
    /// not the client's. Code travels with each task, so the client's tasks would still load the client's build there;
    /// the line says that other code under that name runs on that worker. Empty when all agree.
    /// </summary>
    public IReadOnlyList<string> Mismatches { get; } = Compare(Client, Scheduler, Workers);

    private static string[] Compare(ProcessVersions client, ProcessVersions scheduler, IReadOnlyDictionary<string, ProcessVersions> workers) =>
    [
        .. new[] { ("scheduler", scheduler) }.Concat(workers.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => ($"worker {w.Key}", w.Value)))
            .SelectMany(p => Differences(p.Item1, p.Item2, client)),
    ];

    private static IEnumerable<string> Differences(string who, ProcessVersions theirs, ProcessVersions client)
    {
        if (theirs.Shoal != client.Shoal) yield return $"{who} runs Shoal {theirs.Shoal}, the client {client.Shoal}";
        if (theirs.Runtime.Length > 0 && theirs.Runtime != client.Runtime) yield return $"{who} runs {theirs.Runtime}, the client {client.Runtime}";
        var ours = client.Code.ToLookup(c => c.Name, StringComparer.Ordinal);
        foreach (var loaded in theirs.Code.GroupBy(c => c.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (!ours.Contains(loaded.Key) || loaded.Any(c => ours[loaded.Key].Any(o => o.Hash == c.Hash))) continue;
            yield return $"{who} has loaded {string.Join(", ", loaded)}, not the client's {string.Join(", ", ours[loaded.Key])}";
        }
    }
}

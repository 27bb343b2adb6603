namespace Shoal.Scheduling;

/// <summary>Error of a task that was running on too many workers that died.</summary>
/// <param name="Key">The task's key.</param>
/// <param name="Workers">Names of the workers that died while running it.</param>
/// <param name="Causes">Why each of them was removed (same order).</param>
internal sealed record WorkerKilledError(string Key, IReadOnlyList<string> Workers, IReadOnlyList<string> Causes)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"Attempted to run task {Key} on {Workers.Count} different workers, but all those workers died while running it: "
        + string.Join(", ", Workers.Zip(Causes, (w, c) => $"{w} ({c})"));
}

/// <summary>Error of a task that (through its dependencies) depends on itself.</summary>
/// <param name="Key">A task on the cycle.</param>
internal sealed record DependencyCycleError(string Key)
{
    /// <inheritdoc/>
    public override string ToString() => $"Task {Key} depends on itself through its dependencies";
}

/// <summary>Error of scattered data whose every copy was lost (it cannot be recomputed).</summary>
/// <param name="Key">The data's key.</param>
internal sealed record DataLostError(string Key)
{
    /// <inheritdoc/>
    public override string ToString() => $"Scattered data {Key} was lost with the workers that held it";
}

/// <summary>Error of a task submitted with a dependency the scheduler does not know.</summary>
/// <param name="Key">The task's key.</param>
/// <param name="MissingKey">The unknown dependency.</param>
internal sealed record MissingDependencyError(string Key, string MissingKey)
{
    /// <inheritdoc/>
    public override string ToString() => $"Task {Key} depends on {MissingKey}, which the scheduler does not know";
}

using Shoal.Transfer;

namespace Shoal.Scheduling;

/// <summary>One worker death held against a task: the worker died while the task was executing there.</summary>
/// <param name="Worker">The worker's name (a nanny restarts a worker under the same name).</param>
/// <param name="Pid">The dead worker's process id, 0 when unknown.</param>
/// <param name="Cause">Why it was removed (killed by a signal, memory, connection lost, worker-ttl, ...).</param>
/// <param name="StartReported">True when the worker had reported the task started; false when the task was only
/// possibly executing: the worker had a thread whose start report never arrived, and this was the task it would run next.</param>
internal sealed record WorkerDeath(string Worker, int Pid, string Cause, bool StartReported);

/// <summary>Error of a task that was running on too many workers that died.</summary>
/// <param name="Key">The task's key.</param>
/// <param name="Workers">Names of the workers that died while running it.</param>
/// <param name="Causes">Why each of them was removed (same order).</param>
internal sealed record WorkerKilledError(string Key, IReadOnlyList<string> Workers, IReadOnlyList<string> Causes) : TaskFailure
{
    /// <summary>Clients see it as <c>Shoal.WorkerKilledException</c> (Dask's KilledWorker), which the flows runner recognises.</summary>
    public override Protocol.Messages.RemoteError Describe(string key) =>
        new() { TypeName = "Shoal.WorkerKilledException", Message = ToString(), Key = key, StackTrace = "" };

    /// <summary>Each death in order, with the process and whether the task's start had been reported (empty when unknown).</summary>
    public IReadOnlyList<WorkerDeath> Deaths { get; init; } = [];

    /// <summary>How many such deaths the scheduler allowed (<see cref="SchedulerConfig.AllowedFailures"/>).</summary>
    public int AllowedFailures { get; init; } = -1;

    /// <inheritdoc/>
    public override string ToString()
    {
        if (Deaths.Count == 0)
        {
            return $"Attempted to run task {Key} on {Workers.Count} different workers, but all those workers died while running it: "
                + string.Join(", ", Workers.Zip(Causes, (w, c) => $"{w} ({c})"));
        }

        // A nanny restarts a worker under the same name: say so rather than name one worker as if it were several.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var deaths = Deaths.Select(d =>
        {
            var name = seen.Add(d.Worker) ? d.Worker : d.Worker + " (restarted)";
            var process = d.Pid > 0 ? $", pid {d.Pid}" : "";
            var how = d.StartReported ? "" : " [possibly executing: the task was next in line and the worker's start report never arrived]";
            return $"{name}{process}: {d.Cause}{how}";
        });
        var allowed = AllowedFailures >= 0 ? $" (at most {AllowedFailures} allowed)" : "";
        return $"Task {Key} was executing on {Deaths.Count} worker processes that died while running it{allowed}: {string.Join("; ", deaths)}";
    }
}

/// <summary>Error of a task that (through its dependencies) depends on itself.</summary>
/// <param name="Key">A task on the cycle.</param>
internal sealed record DependencyCycleError(string Key) : TaskFailure
{
    /// <inheritdoc/>
    public override string ToString() => $"Task {Key} depends on itself through its dependencies";
}

/// <summary>Error of scattered data whose every copy was lost (it cannot be recomputed).</summary>
/// <param name="Key">The data's key.</param>
internal sealed record DataLostError(string Key) : TaskFailure
{
    /// <inheritdoc/>
    public override string ToString() => $"Scattered data {Key} was lost with the workers that held it";
}

/// <summary>Error of a task submitted with a dependency the scheduler does not know.</summary>
/// <param name="Key">The task's key.</param>
/// <param name="MissingKey">The unknown dependency.</param>
internal sealed record MissingDependencyError(string Key, string MissingKey) : TaskFailure
{
    /// <inheritdoc/>
    public override string ToString() => $"Task {Key} depends on {MissingKey}, which the scheduler does not know";
}

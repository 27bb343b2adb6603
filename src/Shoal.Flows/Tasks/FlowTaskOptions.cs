namespace Shoal.Flows;

/// <summary>What a task run waits for among its upstream runs before it runs.</summary>
public enum TaskTrigger
{
    /// <summary>Every upstream run succeeded (Completed or Cached): the default.</summary>
    AllSucceeded,

    /// <summary>At least one upstream run did not succeed (a clean-up or alert task).</summary>
    AnyFailed,

    /// <summary>Whatever the upstream runs ended as, once they all ended.</summary>
    Always,
}

/// <summary>An error as the runner sees it: the exception's type name and message (from the worker, possibly another process).</summary>
/// <param name="TypeName">The exception's full type name.</param>
/// <param name="Message">Its message.</param>
public sealed record TaskError(string TypeName, string Message)
{
    /// <summary>True when the exception's type is <typeparamref name="TException"/> (by full name, since it may come from another process).</summary>
    /// <typeparam name="TException">The exception type.</typeparam>
    /// <returns>Whether the names match.</returns>
    public bool Is<TException>() where TException : Exception => TypeName == typeof(TException).FullName;
}

/// <summary>What the hooks of a task see: the run that just ended.</summary>
/// <param name="FlowRunId">The flow run's id.</param>
/// <param name="TaskRunId">The task run's id.</param>
/// <param name="Name">The task run's name.</param>
/// <param name="State">Its final state.</param>
/// <param name="Error">Its error, when it did not succeed.</param>
/// <param name="Cause">The error's cause.</param>
public sealed record TaskRunInfo(Guid FlowRunId, Guid TaskRunId, string Name, RunState State, string? Error, string? Cause);

/// <summary>Options of a task (Prefect's <c>@task</c> keywords).</summary>
public sealed record FlowTaskOptions
{
    /// <summary>How many times a failed run is tried again (lost workers do not count: they are always retried).</summary>
    public int Retries { get; init; }

    /// <summary>The delay before the first retry.</summary>
    public TimeSpan RetryDelay { get; init; }

    /// <summary>Each retry waits this many times longer than the one before (1: a constant delay).</summary>
    public double RetryBackoff { get; init; } = 1;

    /// <summary>Which errors are retried; null: every error.</summary>
    public Func<TaskError, bool>? RetryOn { get; init; }

    /// <summary>
    /// How long a run may take. At the timeout its <see cref="CancellationToken"/> is cancelled
    /// (a cooperative timeout, if the task stops); a task still running <see cref="TimeoutGrace"/>
    /// later is abandoned and its worker process replaced (a hard timeout).
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How long after the timeout a task may take to stop before its worker is replaced.</summary>
    public TimeSpan TimeoutGrace { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Tags: each may ask workers for resources and count against a concurrency limit (see <see cref="FlowRunnerOptions"/>).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Cache results by inputs and the task's code for this long; null: no caching.</summary>
    public TimeSpan? CacheExpiry { get; init; }

    /// <summary>Write each result to the result store (always true when caching).</summary>
    public bool PersistResult { get; init; }

    /// <summary>When a run may start, given its upstream runs' states.</summary>
    public TaskTrigger Trigger { get; init; } = TaskTrigger.AllSucceeded;

    /// <summary>Called (in the flow's process) when a run succeeds.</summary>
    public Func<TaskRunInfo, Task>? OnCompletion { get; init; }

    /// <summary>Called (in the flow's process) when a run ends without success.</summary>
    public Func<TaskRunInfo, Task>? OnFailure { get; init; }

    internal static readonly FlowTaskOptions Default = new();
}

namespace Shoal.Flows;

/// <summary>A flow's parameters were wrong (unknown, missing, of the wrong type, invalid): nothing ran.</summary>
public sealed class FlowParameterException : ArgumentException
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What is wrong, naming the parameter.</param>
    /// <param name="inner">The parser's error, if any.</param>
    public FlowParameterException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A schedule that cannot be used (a cron expression that does not parse, an unknown time zone).</summary>
public sealed class FlowScheduleException : ArgumentException
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">The parser's error, if any.</param>
    public FlowScheduleException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Awaiting a task run that did not succeed: its final state, error and cause.</summary>
public sealed class TaskRunFailedException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="taskRunName">The task run's name.</param>
    /// <param name="state">Its final state.</param>
    /// <param name="error">Its error.</param>
    /// <param name="cause">Its cause.</param>
    public TaskRunFailedException(string taskRunName, RunState state, string? error, string? cause)
        : base($"task run {taskRunName} ended {state}: {error}" + (cause is null ? "" : $" (cause: {cause})"))
    {
        TaskRunName = taskRunName;
        State = state;
        Error = error;
        Cause = cause;
    }

    /// <summary>The task run's name.</summary>
    public string TaskRunName { get; }

    /// <summary>Its final state.</summary>
    public RunState State { get; }

    /// <summary>Its error.</summary>
    public string? Error { get; }

    /// <summary>Its cause.</summary>
    public string? Cause { get; }
}

/// <summary>Thrown on the worker when a task stopped at its timeout's cancellation (cooperative timeout).</summary>
public sealed class FlowTaskTimeoutException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">The timeout.</param>
    public FlowTaskTimeoutException(string message) : base(message) { }
}

/// <summary>
/// Thrown on the worker when a task ignored its timeout's cancellation past the grace period
/// (hard timeout); the message names the process, which the runner then replaces.
/// </summary>
public sealed class FlowTaskHardTimeoutException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">The timeout and the process.</param>
    public FlowTaskHardTimeoutException(string message) : base(message) { }
}

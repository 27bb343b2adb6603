namespace Shoal.Flows;

/// <summary>A flow run as recorded.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Name">Its name.</param>
/// <param name="FlowName">The flow's name.</param>
/// <param name="ParentId">The parent flow run of a subflow.</param>
/// <param name="Parameters">Its parameters, as JSON.</param>
/// <param name="State">Its state.</param>
/// <param name="Error">Its error.</param>
/// <param name="Cause">The error's cause.</param>
/// <param name="Created">When it was created.</param>
/// <param name="Updated">When its state last changed.</param>
public sealed record FlowRunRecord(Guid Id, string Name, string FlowName, Guid? ParentId, string Parameters, RunState State,
    string? Error, string? Cause, DateTimeOffset Created, DateTimeOffset Updated);

/// <summary>A task run as recorded.</summary>
/// <param name="Id">Its id.</param>
/// <param name="FlowRunId">Its flow run.</param>
/// <param name="Name">Its name.</param>
/// <param name="TaskName">The task's name.</param>
/// <param name="Upstream">The ids of the runs it depends on.</param>
/// <param name="State">Its state.</param>
/// <param name="Error">Its error.</param>
/// <param name="Cause">The error's cause.</param>
/// <param name="Attempts">How many times it was submitted.</param>
/// <param name="Created">When it was created.</param>
/// <param name="Updated">When its state last changed.</param>
public sealed record TaskRunRecord(Guid Id, Guid FlowRunId, string Name, string TaskName, IReadOnlyList<Guid> Upstream, RunState State,
    string? Error, string? Cause, int Attempts, DateTimeOffset Created, DateTimeOffset Updated);

/// <summary>One log line of a flow run (or of one of its task runs).</summary>
/// <param name="Sequence">Its position in the store (increasing).</param>
/// <param name="FlowRunId">The flow run.</param>
/// <param name="TaskRunId">The task run, if the line is about one.</param>
/// <param name="At">When it was written.</param>
/// <param name="Level">Info, Warning or Error.</param>
/// <param name="Message">The line.</param>
public sealed record RunLogLine(long Sequence, Guid FlowRunId, Guid? TaskRunId, DateTimeOffset At, string Level, string Message);

/// <summary>One state change of a run.</summary>
/// <param name="RunId">The flow or task run.</param>
/// <param name="State">The new state.</param>
/// <param name="At">When.</param>
/// <param name="Message">The error or a note.</param>
public sealed record StateChangeRecord(Guid RunId, RunState State, DateTimeOffset At, string? Message);

/// <summary>What a runner tells the store; written in batches.</summary>
public abstract record RunEvent(DateTimeOffset At)
{
    /// <summary>A flow run was created.</summary>
    public sealed record FlowRunCreated(FlowRunRecord Run) : RunEvent(Run.Created);

    /// <summary>A task run was created.</summary>
    public sealed record TaskRunCreated(TaskRunRecord Run) : RunEvent(Run.Created);

    /// <summary>A flow run's state changed.</summary>
    public sealed record FlowRunState(Guid Id, RunState State, string? Error, string? Cause, DateTimeOffset When) : RunEvent(When);

    /// <summary>A task run's state changed.</summary>
    public sealed record TaskRunState(Guid Id, RunState State, string? Error, string? Cause, int Attempts, DateTimeOffset When) : RunEvent(When);

    /// <summary>A log line.</summary>
    public sealed record Log(Guid FlowRunId, Guid? TaskRunId, string Level, string Message, DateTimeOffset When) : RunEvent(When);
}

namespace Shoal.Flows;

/// <summary>The state of a flow run or a task run (Prefect's names).</summary>
public enum RunState
{
    /// <summary>Created for a later start (a scheduled flow run).</summary>
    Scheduled,

    /// <summary>Created, waiting for its inputs, its trigger or a concurrency slot.</summary>
    Pending,

    /// <summary>Submitted to the cluster (a task run) or executing its body (a flow run).</summary>
    Running,

    /// <summary>Finished with a result.</summary>
    Completed,

    /// <summary>Threw, or could not run because what it depends on failed.</summary>
    Failed,

    /// <summary>Failed an attempt and waits for the next one.</summary>
    Retrying,

    /// <summary>Finished without running: a result for the same inputs and code was in the cache.</summary>
    Cached,

    /// <summary>Cancelled (for example with <c>shoal flows cancel</c>).</summary>
    Cancelled,

    /// <summary>Its infrastructure failed (a cluster that did not start, workers lost past every retry).</summary>
    Crashed,

    /// <summary>Ran past its timeout; the state's cause says whether the task stopped itself (cooperative) or its worker was replaced (hard).</summary>
    TimedOut,
}

/// <summary>What the states mean.</summary>
public static class RunStates
{
    /// <summary>True for a state nothing follows.</summary>
    public static bool IsFinal(this RunState state) =>
        state is RunState.Completed or RunState.Failed or RunState.Cached or RunState.Cancelled or RunState.Crashed or RunState.TimedOut;

    /// <summary>True for the final states with a result.</summary>
    public static bool IsSuccess(this RunState state) => state is RunState.Completed or RunState.Cached;
}

namespace Shoal.Execution;

/// <summary>State of a key on one worker.</summary>
internal enum WorkerTaskState
{
    /// <summary>Not tracked (a forgotten task object carries this).</summary>
    Released,
    /// <summary>A task to compute whose inputs are not all in memory yet.</summary>
    Waiting,
    /// <summary>A dependency queued to be gathered from a peer.</summary>
    Fetch,
    /// <summary>A dependency being gathered from a peer.</summary>
    Flight,
    /// <summary>A dependency with no known holder; the scheduler must tell where it is.</summary>
    Missing,
    /// <summary>A task whose inputs are all in memory, waiting for a free slot.</summary>
    Ready,
    /// <summary>Like <see cref="Ready"/>, but the task needs abstract resources.</summary>
    Constrained,
    /// <summary>Running on a slot.</summary>
    Executing,
    /// <summary>The value is in this worker's store.</summary>
    Memory,
    /// <summary>The task failed here.</summary>
    Error,
    /// <summary>Nobody wants the key any more, but its execution or gather is still running; the outcome is dropped.</summary>
    Cancelled,
    /// <summary>The key was cancelled and is wanted again in another role while its execution or gather still runs
    /// (executing, now needed as a dependency; or in flight, now to be computed here).</summary>
    Resumed,
}

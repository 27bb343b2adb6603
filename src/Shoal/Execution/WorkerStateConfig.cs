namespace Shoal.Execution;

/// <summary>Settings of one worker's <see cref="WorkerState"/>.</summary>
public sealed class WorkerStateConfig
{
    /// <summary>This worker's own data address; it is never chosen as a peer to fetch from.</summary>
    public string Address { get; set; } = "";

    /// <summary>Number of task slots: at most this many tasks execute at once.</summary>
    public int NThreads { get; set; } = 1;

    /// <summary>Abstract resources this worker declares (for example <c>GPU=1</c>).</summary>
    public IReadOnlyDictionary<string, double> Resources { get; set; } = new Dictionary<string, double>();

    /// <summary>Maximum number of dependency gathers in flight at once, over all peers.</summary>
    public int TransferIncomingCountLimit { get; set; } = 4;

    /// <summary>A gather batches keys from one peer until their estimated size reaches this many bytes
    /// (a gather always takes at least one key).</summary>
    public long TransferMessageTargetBytes { get; set; } = 50_000_000;

    /// <summary>Run <see cref="WorkerState.Validate"/> after every event (for tests; costs O(tasks) per event).</summary>
    public bool ValidateAfterEveryEvent { get; set; }
}

/// <summary>A dependency of a task to compute: its key, estimated size and the workers holding it.</summary>
/// <param name="Key">Key of the dependency.</param>
/// <param name="Nbytes">Estimated size in bytes (used to batch gathers).</param>
/// <param name="Holders">Addresses of the workers that hold the value.</param>
public sealed record DependencySpec(string Key, long Nbytes, IReadOnlyList<string> Holders);

/// <summary>The scheduler's request to compute one task on this worker.</summary>
/// <param name="Key">Key of the task.</param>
/// <param name="RunSpec">Opaque description of what to run; handed back by <see cref="WorkerState.RunSpecOf"/>.</param>
/// <param name="Priority">Smaller runs first; equal priorities run in arrival order.</param>
/// <param name="Dependencies">Inputs of the task.</param>
/// <param name="Resources">Abstract resources the task holds while executing, or null.</param>
public sealed record ComputeRequest(
    string Key,
    object? RunSpec,
    long Priority,
    IReadOnlyList<DependencySpec> Dependencies,
    IReadOnlyDictionary<string, double>? Resources);

/// <summary>State of a key on one worker.</summary>
public enum WorkerTaskState
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

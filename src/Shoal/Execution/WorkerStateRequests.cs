using Shoal.Transfer;
namespace Shoal.Execution;

/// <summary>A dependency of a task to compute: its key, estimated size and the workers holding it.</summary>
/// <param name="Key">Key of the dependency.</param>
/// <param name="Nbytes">Estimated size in bytes (used to batch gathers).</param>
/// <param name="Holders">Addresses of the workers that hold the value.</param>
/// <param name="HolderInstances">The instance id (one per worker process) of each holder, in the same order; null or
/// empty entries when unknown. A worker restarted on the same address has a new one, which tells a failure against
/// its dead predecessor apart from one against it.</param>
internal sealed record DependencySpec(string Key, long Nbytes, IReadOnlyList<string> Holders, IReadOnlyList<string>? HolderInstances = null);

/// <summary>The scheduler's request to compute one task on this worker.</summary>
/// <param name="Key">Key of the task.</param>
/// <param name="RunSpec">Opaque description of what to run; handed back by <see cref="WorkerState.RunSpecOf"/>.</param>
/// <param name="Priority">Smaller runs first; equal priorities run in arrival order.</param>
/// <param name="Dependencies">Inputs of the task.</param>
/// <param name="Resources">Abstract resources the task holds while executing, or null.</param>
/// <param name="RunId">The scheduler's id of this assignment; the answers about the task (done, failed, rescheduled)
/// carry the run id of the latest request, so the scheduler can ignore answers about a run it ended.</param>
internal sealed record ComputeRequest(
    string Key,
    TaskPayload? RunSpec,
    long Priority,
    IReadOnlyList<DependencySpec> Dependencies,
    IReadOnlyDictionary<string, double>? Resources,
    long RunId = 0);

namespace Shoal.Scheduling;

// Who wants to know the moment a worker registers (a cluster manager measuring start-up times).
internal sealed partial class SchedulerServer
{
    /// <summary>Raised on the scheduler's loop when a worker's registration is accepted, with its name: handlers must be quick.</summary>
    internal event Action<string>? WorkerRegistered;

    private void OnWorkerRegistered(string name) => WorkerRegistered?.Invoke(name);
}

namespace Shoal.Kubernetes.Autoscaling;

/// <summary>A worker pod as the autoscaler sees it.</summary>
/// <param name="Name">The pod's name, which is its worker's name (SHOAL_WORKER_NAME from metadata.name).</param>
/// <param name="Phase">Pending, Running, ...</param>
/// <param name="Ready">Its Ready condition.</param>
/// <param name="Registered">True when the scheduler counts a worker of that name.</param>
/// <param name="Created">When it was created (newer goes first among equals, as the ReplicaSet controller does).</param>
internal sealed record WorkerPod(string Name, string Phase, bool Ready, bool Registered, DateTimeOffset Created);

/// <summary>
/// Which pods a scale-down removes. Pods whose worker has not registered hold nothing, so they go
/// first, in the order the ReplicaSet controller would pick them anyway (Pending, then not ready,
/// then newest); the rest are workers the scheduler must retire first. Pure.
/// </summary>
internal static class WorkerPodChoice
{
    /// <summary>The unregistered pods to remove (up to <paramref name="remove"/>) and how many registered workers to retire for the rest.</summary>
    public static (IReadOnlyList<string> Unregistered, int Retire) Choose(IReadOnlyList<WorkerPod> pods, int remove)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(remove);
        var fresh = pods.Where(p => !p.Registered)
            .OrderBy(p => p.Phase == "Pending" ? 0 : p.Phase == "Running" ? 2 : 1).ThenBy(p => p.Ready ? 1 : 0).ThenByDescending(p => p.Created)
            .Take(remove).Select(p => p.Name).ToList();
        int retire = Math.Min(remove - fresh.Count, pods.Count(p => p.Registered));
        return (fresh, retire);
    }
}

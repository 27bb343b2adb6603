namespace Shoal.Kubernetes.Operator;

/// <summary>A worker pod of a group as the operator sees it.</summary>
/// <param name="Name">The pod's name, which is its worker's.</param>
/// <param name="Phase">Pending, Running, Succeeded, Failed.</param>
/// <param name="Deleting">It has a deletion timestamp.</param>
/// <param name="Created">When it was made (newer goes first among equals).</param>
internal sealed record GroupPod(string Name, string Phase, bool Deleting, DateTimeOffset Created);

/// <summary>A worker the scheduler has registered, as its HTTP API reports it.</summary>
internal sealed record RegisteredWorker(string Name, int HeldResults, int Processing, bool Retiring);

/// <summary>What a reconcile of a worker group does: pods to make, pods to delete now, workers to retire first.</summary>
internal sealed record WorkerGroupPlan(int Create, IReadOnlyList<string> Delete, IReadOnlyList<string> Retire, int Live, int Registered)
{
    /// <summary>
    /// Pure. Terminated pods (a retired worker's pod ends, or a crashed one) are deleted and do not
    /// count. Below the replicas: the difference is created. Above: pods whose worker has not
    /// registered hold nothing and go first (Pending, then the newest); the rest must be retired by
    /// the scheduler before their pods are deleted, and the operator names the ones that hold the
    /// least (fewest results, fewest tasks, then the newest). Workers already retiring count as going.
    /// </summary>
    public static WorkerGroupPlan Decide(int replicas, IReadOnlyList<GroupPod> pods, IReadOnlyList<RegisteredWorker> workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        var byName = workers.ToDictionary(w => w.Name, StringComparer.Ordinal);
        var delete = pods.Where(p => !p.Deleting && p.Phase is "Succeeded" or "Failed").Select(p => p.Name).ToList();
        var live = pods.Where(p => !p.Deleting && p.Phase is not ("Succeeded" or "Failed")).ToList();
        int registered = live.Count(p => byName.ContainsKey(p.Name));
        int retiring = live.Count(p => byName.TryGetValue(p.Name, out var w) && w.Retiring);
        int surplus = live.Count - retiring - replicas;
        if (surplus < 0) return new WorkerGroupPlan(-surplus, delete, [], live.Count, registered);
        var fresh = live.Where(p => !byName.ContainsKey(p.Name))
            .OrderBy(p => p.Phase == "Pending" ? 0 : 1).ThenByDescending(p => p.Created)
            .Take(surplus).Select(p => p.Name).ToList();
        delete.AddRange(fresh);
        var retire = live.Where(p => byName.TryGetValue(p.Name, out var w) && !w.Retiring)
            .Select(p => (Pod: p, Worker: byName[p.Name]))
            .OrderBy(x => x.Worker.HeldResults).ThenBy(x => x.Worker.Processing).ThenByDescending(x => x.Pod.Created)
            .Take(surplus - fresh.Count).Select(x => x.Pod.Name).ToList();
        return new WorkerGroupPlan(0, delete, retire, live.Count, registered);
    }
}

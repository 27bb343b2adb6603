namespace Shoal.Scheduling;

/// <summary>One result to move: <paramref name="Recipient"/> copies it from <paramref name="Sender"/>, then the sender's copy is dropped.</summary>
/// <param name="Key">The result's key.</param>
/// <param name="Sender">The worker giving it up.</param>
/// <param name="Recipient">The worker receiving it.</param>
/// <param name="Nbytes">Its size, as the scheduler knows it.</param>
internal readonly record struct RebalanceMove(string Key, int Sender, int Recipient, long Nbytes);

/// <summary>Where a planned move stands.</summary>
internal enum RebalanceMoveOutcome
{
    /// <summary>The recipient does not hold it yet, and still may.</summary>
    Pending,

    /// <summary>The recipient holds it and the sender no longer does.</summary>
    Done,

    /// <summary>It cannot happen any more: a worker left, or the result is no longer in memory.</summary>
    Abandoned,
}

// Rebalance (Dask's Client.rebalance): even out the bytes of results held across workers.
internal sealed partial class SchedulerState
{
    /// <summary>
    /// Plans which results move where so that the bytes each worker holds come close to the mean (Dask's
    /// <c>rebalance</c>; Shoal measures the results' bytes the scheduler knows, not process memory). Workers above
    /// the mean give their largest movable results, each to the worker then holding least that lacks it, as long as
    /// the move leaves the recipient no fuller than the sender (so every move narrows the spread, and the plan ends).
    /// Movable: in memory, of known size, not needed by a task processing on the sender. Retiring workers take part in
    /// neither side. Pure: nothing changes until <see cref="CompleteRebalanceMove"/>.
    /// </summary>
    /// <param name="keys">Only these results (task ids); null for all.</param>
    /// <param name="workers">Only between these workers; null for all.</param>
    public List<RebalanceMove> PlanRebalance(IReadOnlySet<int>? keys, IReadOnlySet<int>? workers)
    {
        var pool = new List<int>();
        foreach (var id in _liveWorkers)
        {
            if (_workers[id]!.Closing || (workers is not null && !workers.Contains(id))) continue;
            pool.Add(id);
        }

        var moves = new List<RebalanceMove>();
        if (pool.Count < 2) return moves;
        var bytes = new Dictionary<int, long>();
        foreach (var id in pool) bytes[id] = _workers[id]!.NbytesHeld;
        double mean = bytes.Values.Sum() / (double)pool.Count;

        foreach (var sender in pool.Where(id => bytes[id] > mean).OrderByDescending(id => bytes[id]).ThenBy(id => id).ToArray())
        {
            var candidates = _workers[sender]!.HasWhat
                .Where(t => MayMoveFrom(t, sender, keys))
                .OrderByDescending(t => _tasks[t].Nbytes)
                .ThenBy(t => _tasks[t].Key, StringComparer.Ordinal)
                .ToArray();
            foreach (var t in candidates)
            {
                if (bytes[sender] <= mean) break;
                long size = _tasks[t].Nbytes;
                int recipient = -1;
                foreach (var r in pool)
                {
                    if (r == sender || bytes[r] >= mean || HoldsResult(t, r)) continue;
                    if (recipient < 0 || bytes[r] < bytes[recipient]) recipient = r;
                }

                // Too big to move without overshooting: a smaller result may still fit.
                if (recipient < 0 || bytes[recipient] + size > bytes[sender] - size) continue;
                moves.Add(new RebalanceMove(_tasks[t].Key, sender, recipient, size));
                bytes[sender] -= size;
                bytes[recipient] += size;
            }
        }

        return moves;
    }

    /// <summary>
    /// Ends a planned move once its recipient holds the result (the worker's <c>AddKeys</c> said so): the sender
    /// stops being a holder and is told to drop its copy (FreeKeys); a local task still using it there keeps it
    /// until done. A sender gone or no longer holding it is fine (the copy is where it was meant to go).
    /// </summary>
    public RebalanceMoveOutcome CompleteRebalanceMove(RebalanceMove move)
    {
        if (!_keyIndex.TryGetValue(move.Key, out int t) || _tasks[t].State != TaskState.Memory) return RebalanceMoveOutcome.Abandoned;
        if (!HoldsResult(t, move.Recipient))
        {
            return WorkerOrNull(move.Recipient) is null || !HoldsResult(t, move.Sender) ? RebalanceMoveOutcome.Abandoned : RebalanceMoveOutcome.Pending;
        }

        if (RemoveHolder(t, move.Sender)) Emit(SchedulerCommandKind.FreeKeys, move.Sender, t);
        return RebalanceMoveOutcome.Done;
    }

    private bool HoldsResult(int task, int worker)
    {
        ref var r = ref _tasks[task];
        return SetContains(r.HolderCount, r.Holder0, r.MoreHolders, worker);
    }

    private bool MayMoveFrom(int task, int sender, IReadOnlySet<int>? keys)
    {
        ref var r = ref _tasks[task];
        if (r.State != TaskState.Memory || r.Nbytes <= 0 || (keys is not null && !keys.Contains(task))) return false;
        for (int i = 0; i < r.DependentCount; i++)
        {
            if (_tasks[r.Dependents[i]].ProcessingOn == sender) return false;
        }

        return true;
    }
}

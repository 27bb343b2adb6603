namespace Shoal.Execution;

internal sealed partial class WorkerState
{
    private readonly Dictionary<string, long> _receivedScratch = new(StringComparer.Ordinal);

    /// <summary>A gather finished. The server has already stored the values in <paramref name="received"/>.</summary>
    /// <remarks>Received keys go to memory (dependents may become ready) and are reported with one
    /// <see cref="AddKeysMsg"/>. Keys the peer did not deliver (listed in <paramref name="missing"/> or simply absent)
    /// are tried at their other holders; with no holder left, <see cref="MissingDataMsg"/> goes to the scheduler and the
    /// key waits in <see cref="WorkerTaskState.Missing"/> for <see cref="UpdateWhoHas"/>. Values nobody wants any more
    /// are released.</remarks>
    /// <param name="peer">The peer gathered from.</param>
    /// <param name="received">Keys received, with their measured sizes.</param>
    /// <param name="missing">Keys the peer said it does not have.</param>
    /// <param name="now">Current time.</param>
    public IReadOnlyList<WorkerInstruction> GatherSuccess(
        string peer, IReadOnlyList<KeyValuePair<string, long>> received, IReadOnlyList<string> missing, double now)
    {
        _story.Stimulus("gather-dep-success", now, peer);
        ArgumentNullException.ThrowIfNull(received);
        _inFlightInstances.Remove(peer, out var instance);
        if (!_inFlight.Remove(peer, out var batch))
        {
            for (int i = 0; i < received.Count; i++)
            {
                if (!_tasks.ContainsKey(received[i].Key)) Emit(new ReleaseData(received[i].Key));
            }
            return Finish();
        }

        var got = _receivedScratch;
        got.Clear();
        for (int i = 0; i < received.Count; i++) got[received[i].Key] = received[i].Value;

        List<KeyValuePair<string, long>>? added = null;
        foreach (var ts in batch)
        {
            if (!IsInFlightFrom(ts, peer))
            {
                // Overtaken (scattered meanwhile, then maybe forgotten): drop an orphan value.
                if (got.ContainsKey(ts.Key) && !_tasks.ContainsKey(ts.Key)) Emit(new ReleaseData(ts.Key));
                continue;
            }
            ts.CopingFrom = null;
            if (got.TryGetValue(ts.Key, out long nbytes))
            {
                switch (ts.State)
                {
                    case WorkerTaskState.Flight:
                        ts.Start = ts.Stop = now;
                        PutInMemory(ts, nbytes);
                        ts.WantedByScheduler = true;
                        (added ??= new List<KeyValuePair<string, long>>()).Add(new(ts.Key, nbytes));
                        break;
                    case WorkerTaskState.Resumed: // to compute, but the value arrived: that is the result
                        ts.Start = ts.Stop = now;
                        ts.PendingRequest = null;
                        PutInMemory(ts, nbytes);
                        Emit(new TaskDoneMsg(ts.Key, nbytes, now, now, ts.RunId));
                        break;
                    default: // Cancelled
                        Emit(new ReleaseData(ts.Key));
                        Drop(ts);
                        break;
                }
            }
            else
            {
                NotDelivered(ts, peer, instance);
            }
        }
        got.Clear();
        if (added is not null) Emit(new AddKeysMsg(added));
        return Finish();
    }

    /// <summary>A gather failed (connection refused, dropped, timed out). The peer is presumed gone: it is removed as a
    /// holder of the keys in that gather and of every key queued for it; those keys go to other holders or, with none
    /// left, to <see cref="WorkerTaskState.Missing"/> with a <see cref="MissingDataMsg"/>. (Keys in flight from other
    /// peers still list it until their own gather ends.) If the scheduler named a new worker process at that address
    /// since the gather started (a restart on the same address), only the dead predecessor failed: the keys stay with
    /// the address, to be fetched from its new process, and nothing is reported missing.</summary>
    /// <param name="peer">The peer gathered from.</param>
    /// <param name="keys">Keys of the failed gather (informational: the state machine remembers them).</param>
    /// <param name="reason">Why it failed (informational).</param>
    /// <param name="now">Current time.</param>
    public IReadOnlyList<WorkerInstruction> GatherFailure(string peer, IReadOnlyList<string> keys, string reason, double now)
    {
        _story.Stimulus("gather-dep-failed", now, peer);
        _inFlightInstances.Remove(peer, out var instance);
        bool replaced = instance is not null && _peerInstances.TryGetValue(peer, out var current) && current != instance;
        if (_inFlight.Remove(peer, out var batch))
        {
            foreach (var ts in batch)
            {
                if (!IsInFlightFrom(ts, peer)) continue;
                ts.CopingFrom = null;
                if (replaced && ts.State == WorkerTaskState.Flight) ToFetchOrMissing(ts, lastPeer: null); // from the new process
                else NotDelivered(ts, peer, instance);
            }
        }
        if (replaced) return Finish();
        if (_dataNeeded.Remove(peer, out var queued))
        {
            foreach (var ts in queued)
            {
                ts.Holders!.Remove(peer);
                if (ts.Holders.Count == 0)
                {
                    ts.State = WorkerTaskState.Missing;
                    _missing.Add(ts);
                    Emit(new MissingDataMsg(ts.Key, peer, instance));
                }
            }
        }
        return Finish();
    }

    /// <summary>Asks the scheduler where the missing keys are (the server calls this periodically).</summary>
    /// <param name="now">Current time.</param>
    public IReadOnlyList<WorkerInstruction> FindMissing(double now)
    {
        _story.Stimulus("find-missing", now);
        if (_missing.Count > 0)
        {
            var keys = new string[_missing.Count];
            int i = 0;
            foreach (var ts in _missing) keys[i++] = ts.Key;
            Emit(new RequestWhoHasMsg(keys));
        }
        return Finish();
    }

    /// <summary>The scheduler tells where a key is (replacing what this worker knew). It does not say which process
    /// each address is, so those addresses' instances become unknown.</summary>
    /// <param name="key">The key.</param>
    /// <param name="holders">Workers holding it.</param>
    /// <param name="now">Current time.</param>
    public IReadOnlyList<WorkerInstruction> UpdateWhoHas(string key, IReadOnlyList<string> holders, double now)
    {
        _story.Stimulus("who-has", now);
        ArgumentNullException.ThrowIfNull(holders);
        for (int i = 0; i < holders.Count; i++) _peerInstances.Remove(holders[i]);
        if (!_tasks.TryGetValue(key, out var ts)) return Finish();
        switch (ts.State)
        {
            case WorkerTaskState.Fetch:
                RemoveFromDataNeeded(ts);
                ts.Holders!.Clear();
                AddHolders(ts, holders);
                if (ts.Holders.Count > 0)
                {
                    AddToDataNeeded(ts);
                }
                else
                {
                    ts.State = WorkerTaskState.Missing;
                    _missing.Add(ts);
                }
                break;
            case WorkerTaskState.Missing:
                ts.Holders?.Clear();
                AddHolders(ts, holders);
                if (ts.Holders is { Count: > 0 })
                {
                    _missing.Remove(ts);
                    ts.State = WorkerTaskState.Fetch;
                    AddToDataNeeded(ts);
                }
                break;
            default:
                ts.Holders?.Clear();
                AddHolders(ts, holders);
                break;
        }
        return Finish();
    }

    /// <summary>Values were put into this worker's store directly (scatter, put); they are held for the scheduler.</summary>
    /// <remarks>A key that was being fetched or waiting to compute is satisfied by the value. A key executing at that
    /// moment keeps executing: its result replaces the value (and is reported); if it fails, the value stands.</remarks>
    /// <param name="keys">Keys stored, with their sizes.</param>
    /// <param name="now">Current time.</param>
    /// <param name="generations">Per key, the generation of the client's put (0 or null: none; see <see cref="WorkerTask.PutGeneration"/>).</param>
    public IReadOnlyList<WorkerInstruction> DataPut(IReadOnlyList<KeyValuePair<string, long>> keys, double now, IReadOnlyList<ulong>? generations = null)
    {
        _story.Stimulus("put-data", now);
        ArgumentNullException.ThrowIfNull(keys);
        for (int i = 0; i < keys.Count; i++)
        {
            var (key, nbytes) = keys[i];
            var ts = GetOrCreate(key, out _);
            ts.WantedByScheduler = true;
            ts.PutGeneration = generations?[i] ?? 0;
            if (ts.Running)
            {
                // Keeps executing; its result replaces the value, its failure leaves the value standing.
                ts.State = WorkerTaskState.Executing;
                ts.PutNbytes = nbytes;
                continue;
            }
            switch (ts.State)
            {
                case WorkerTaskState.Memory:
                    _managedBytes += nbytes - ts.Nbytes;
                    ts.Nbytes = nbytes;
                    continue;
                case WorkerTaskState.Fetch or WorkerTaskState.Missing:
                    LeaveFetchOrMissing(ts);
                    break;
                case WorkerTaskState.Flight or WorkerTaskState.Cancelled or WorkerTaskState.Resumed:
                    ts.CopingFrom = null; // the gather's outcome for it will be ignored
                    ts.PendingRequest = null;
                    break;
                case WorkerTaskState.Waiting or WorkerTaskState.Ready or WorkerTaskState.Constrained:
                    LeaveReady(ts);
                    DetachDependencies(ts);
                    break;
            }
            ts.Error = null;
            ts.Start = ts.Stop = now;
            PutInMemory(ts, nbytes);
        }
        return Finish();
    }

    private static bool IsInFlightFrom(WorkerTask ts, string peer) =>
        ts.CopingFrom == peer
        && (ts.State == WorkerTaskState.Flight
            || (ts.State is WorkerTaskState.Cancelled or WorkerTaskState.Resumed && ts.Previous == WorkerTaskState.Flight));

    /// <summary>A key in flight did not arrive from <paramref name="peer"/> (the process <paramref name="instance"/>, if known).</summary>
    private void NotDelivered(WorkerTask ts, string peer, string? instance)
    {
        ts.Holders?.Remove(peer);
        switch (ts.State)
        {
            case WorkerTaskState.Flight:
                ToFetchOrMissing(ts, peer, instance);
                break;
            case WorkerTaskState.Resumed: // compute it after all
                ApplyCompute(ts, ts.PendingRequest!);
                break;
            default: // Cancelled
                Drop(ts);
                break;
        }
    }

    /// <summary>Queues a dependency for gathering, or marks it missing (telling the scheduler when a peer just failed).</summary>
    private void ToFetchOrMissing(WorkerTask ts, string? lastPeer, string? lastPeerInstance = null)
    {
        if (ts.Holders is { Count: > 0 })
        {
            ts.State = WorkerTaskState.Fetch;
            AddToDataNeeded(ts);
        }
        else
        {
            ts.State = WorkerTaskState.Missing;
            _missing.Add(ts);
            if (lastPeer is not null) Emit(new MissingDataMsg(ts.Key, lastPeer, lastPeerInstance));
        }
    }

    /// <summary>Takes a Fetch or Missing key out of the transfer queues (its state is set by the caller).</summary>
    private void LeaveFetchOrMissing(WorkerTask ts)
    {
        if (ts.State == WorkerTaskState.Fetch) RemoveFromDataNeeded(ts);
        else if (ts.State == WorkerTaskState.Missing) _missing.Remove(ts);
    }

    private void AddToDataNeeded(WorkerTask ts)
    {
        foreach (var peer in ts.Holders!) AddToDataNeeded(ts, peer);
    }

    private void AddToDataNeeded(WorkerTask ts, string peer)
    {
        if (!_dataNeeded.TryGetValue(peer, out var set))
        {
            set = new SortedSet<WorkerTask>(WorkerTaskPriorityComparer.Instance);
            _dataNeeded.Add(peer, set);
        }
        set.Add(ts);
    }

    private void RemoveFromDataNeeded(WorkerTask ts)
    {
        if (ts.Holders is null) return;
        foreach (var peer in ts.Holders)
        {
            if (_dataNeeded.TryGetValue(peer, out var set) && set.Remove(ts) && set.Count == 0) _dataNeeded.Remove(peer);
        }
    }

    /// <summary>Starts gathers while the limits allow: at most one per peer, at most
    /// <see cref="WorkerStateConfig.TransferIncomingCountLimit"/> in total (one while paused), none to a peer that
    /// answered busy until it is retried. The peer chosen is the idle one whose most urgent queued key is the most urgent overall (ties: smallest address); its queued keys are
    /// batched in priority order
    /// up to <see cref="WorkerStateConfig.TransferMessageTargetBytes"/>.</summary>
    private void EnsureCommunicating()
    {
        int limit = _paused ? 1 : Math.Max(1, _config.TransferIncomingCountLimit);
        while (_inFlight.Count < limit && _dataNeeded.Count > 0)
        {
            string? bestPeer = null;
            WorkerTask? bestTop = null;
            foreach (var (peer, queued) in _dataNeeded)
            {
                if (_inFlight.ContainsKey(peer)) continue;
                var top = queued.Min!;
                int c = bestTop is null ? -1 : WorkerTaskPriorityComparer.Instance.Compare(top, bestTop);
                // Ties (the same key queued at several holders) go to the smallest address, for determinism.
                if (c < 0 || (c == 0 && string.CompareOrdinal(peer, bestPeer) < 0))
                {
                    bestTop = top;
                    bestPeer = peer;
                }
            }
            if (bestPeer is null) return;

            var batch = new List<WorkerTask>();
            long total = 0;
            long target = _config.TransferMessageTargetBytes;
            foreach (var ts in _dataNeeded[bestPeer])
            {
                if (batch.Count > 0 && total + ts.Nbytes > target) break;
                batch.Add(ts);
                total += ts.Nbytes;
            }
            var keys = new string[batch.Count];
            for (int i = 0; i < batch.Count; i++)
            {
                var ts = batch[i];
                RemoveFromDataNeeded(ts);
                ts.State = WorkerTaskState.Flight;
                ts.CopingFrom = bestPeer;
                keys[i] = ts.Key;
            }
            _inFlight.Add(bestPeer, batch);
            _inFlightInstances[bestPeer] = _peerInstances.GetValueOrDefault(bestPeer);
            Emit(new GatherDep(bestPeer, keys, total));
        }
    }
}

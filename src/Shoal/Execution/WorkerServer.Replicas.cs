using Shoal.Protocol.Messages;

namespace Shoal.Execution;

// Copies of results asked for by the scheduler (it moves results off a retiring worker).
internal sealed partial class WorkerServer
{
    /// <summary>The scheduler asks for copies of keys: fetched from their holders, kept, reported with AddKeys.</summary>
    private void AcquireReplicas(AcquireReplicas request)
    {
        var generation = _generation;
        var byPeer = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var dependency in request.Keys)
        {
            if (_state.StateOf(dependency.Key) == WorkerTaskState.Memory || dependency.Workers.Count == 0) continue;
            var peer = dependency.Workers[0];
            if (!byPeer.TryGetValue(peer, out var keys)) byPeer[peer] = keys = [];
            keys.Add(dependency.Key);
        }

        foreach (var (peer, keys) in byPeer)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    var (received, _) = await FetchAsync(peer, keys).ConfigureAwait(false);
                    _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.ReplicasFetched) { Generation = generation, Peer = peer, Received = received });
                }
                catch (Exception e)
                {
                    // The scheduler asks again if the copy is still needed.
                    _peers.Evict(peer);
                    WorkerLog.PeerFailed(_logger, peer, e.Message);
                }
            });
        }
    }

    /// <summary>On the loop: copies arrived; they are held for the scheduler like scattered data.</summary>
    private void ReplicasFetched(IReadOnlyList<KeyValuePair<string, long>> received, double now)
    {
        if (received.Count == 0) return;
        Apply(_state.DataPut(received, now));
        var add = new AddKeys();
        foreach (var pair in received) add.Keys.Add(new KeyNbytes { Key = pair.Key, Nbytes = (ulong)Math.Max(0, pair.Value) });
        SendToScheduler(new Envelope { AddKeys = add });
    }

    /// <summary>
    /// Drops values of stale work (started before the scheduler connection was lost) from the
    /// store, unless the current state holds or wants that key. A key the current state runs or
    /// fetches again is left alone: its new run stores its own value under it, maybe already
    /// (both runs go on at once), and dropping it then left the new run's result "in memory" with
    /// no value, which no peer or client could ever fetch.
    /// </summary>
    private void DropUnlessHeld(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            if (StaleValueMayGo(_state.StateOf(key))) _store.Remove(key);
        }
    }

    /// <summary>Whether a stale run's value may leave the store, given what the current state does with its key.</summary>
    internal static bool StaleValueMayGo(WorkerTaskState? current) => current is null or WorkerTaskState.Released or WorkerTaskState.Error;
}

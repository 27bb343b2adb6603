using Shoal.ClientSide;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>Entries cancelled by this client whose confirmation (KeyCancelled) has not arrived yet, per key, oldest first.</summary>
    private readonly Dictionary<string, Queue<ClientKeyEntry>> _cancelling = new(StringComparer.Ordinal);

    /// <summary>
    /// Marks <paramref name="entry"/> cancelled now and remembers it until the scheduler confirms, so that
    /// the confirmation finds this entry and not one a resubmission of the same key made meanwhile.
    /// False when it was cancelled already (nothing to send).
    /// </summary>
    private bool MarkCancelling(ClientKeyEntry entry)
    {
        lock (_keys)
        {
            if (entry.Status == FutureStatus.Cancelled) return false;
            entry.MarkCancelled("cancelled by this client");
            if (!_cancelling.TryGetValue(entry.Key, out var queue)) _cancelling[entry.Key] = queue = new Queue<ClientKeyEntry>(1);
            queue.Enqueue(entry);
            return true;
        }
    }

    /// <summary>The scheduler cancelled a key: one this client cancelled (confirmed), or a dependent of one.</summary>
    private void OnKeyCancelled(string key, string reason)
    {
        lock (_keys)
        {
            if (_cancelling.TryGetValue(key, out var queue))
            {
                queue.Dequeue().ConfirmCancelled();
                if (queue.Count == 0) _cancelling.Remove(key);
                return;
            }

            // The scheduler's plain "cancelled" is a dependency's cancellation; any other reason (a restart) says itself.
            if (_keys.GetValueOrDefault(key) is { } entry) entry.SetCancelled(reason == "cancelled" ? $"{reason} (a task it depends on was cancelled)" : reason);
        }
    }

    /// <summary>
    /// A submission whose dependencies include a key this client cancelled (and did not submit again) would
    /// meet an unknown key at the scheduler: it is cancelled at once instead, naming the dependency.
    /// </summary>
    private string? CancelledDependency(IReadOnlyList<string> dependencies)
    {
        if (dependencies.Count == 0) return null;
        lock (_keys)
        {
            for (var i = 0; i < dependencies.Count; i++)
            {
                if (_keys.GetValueOrDefault(dependencies[i]) is { Status: FutureStatus.Cancelled, LostScheduler: null }) return dependencies[i];
            }
        }

        return null;
    }

    private static InvalidOperationException NotOurs(Future future) => future.Entry is null
        ? new InvalidOperationException($"Future '{future.Key}' does not belong to a client (it was made on a worker or deserialized).")
        : new InvalidOperationException(
            $"Future '{future.Key}' belongs to another client (of the scheduler at {future.Entry.Owner.SchedulerAddress}); " +
            "a client gathers, waits for and cancels only its own futures. Pass the key to the other client, or use that client.");
}

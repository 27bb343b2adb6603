using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

// Semaphores (a lock is a semaphore of one lease) and published datasets.
internal sealed partial class CoordinationState
{
    private void Acquire(CoordinationAsk ask, double now)
    {
        if (ask.MaxLeases < 1) { Answer(ask, false, "a semaphore needs at least one lease"); return; }
        if (string.IsNullOrEmpty(ask.LeaseId)) { Answer(ask, false, "a semaphore acquisition needs a lease id"); return; }
        if (!_semaphores.TryGetValue(ask.Name, out var semaphore)) _semaphores[ask.Name] = semaphore = new SemaphoreRecord(ask.MaxLeases);
        else if (semaphore.Max != ask.MaxLeases)
        {
            Answer(ask, false, $"semaphore '{ask.Name}' has {semaphore.Max} leases, not {ask.MaxLeases}");
            return;
        }

        if (semaphore.Leases.ContainsKey(ask.LeaseId)) { Answer(ask, false, $"lease {ask.LeaseId} is held already"); return; }
        // First come, first served: a free lease goes to a new request only if nobody waits before it.
        if (semaphore.Leases.Count < semaphore.Max && FirstWaiting(CoordinationOp.SemaphoreAcquire, ask.Name) is null)
        {
            semaphore.Leases[ask.LeaseId] = ask.Client;
            Answer(ask, true);
        }
        else Wait(ask, now);
    }

    private void Release(CoordinationAsk ask)
    {
        if (!_semaphores.TryGetValue(ask.Name, out var semaphore) || !semaphore.Leases.TryGetValue(ask.LeaseId, out var holder))
        {
            Answer(ask, false, $"lease {ask.LeaseId} of '{ask.Name}' is not held (released already, or its holder left)");
            return;
        }

        if (holder != ask.Client)
        {
            Answer(ask, false, $"lease {ask.LeaseId} of '{ask.Name}' is held by another client");
            return;
        }

        semaphore.Leases.Remove(ask.LeaseId);
        Answer(ask, true);
        GrantLeases(ask.Name, semaphore);
    }

    private void GrantLeases(string name, SemaphoreRecord semaphore)
    {
        while (semaphore.Leases.Count < semaphore.Max && FirstWaiting(CoordinationOp.SemaphoreAcquire, name) is { } node)
        {
            var ask = TakeFirst(node);
            semaphore.Leases[ask.LeaseId] = ask.Client;
            Answer(ask, true);
        }

        if (semaphore.Leases.Count == 0 && FirstWaiting(CoordinationOp.SemaphoreAcquire, name) is null) _semaphores.Remove(name);
    }

    private void Publish(CoordinationAsk ask)
    {
        if (ask.Keys.Count != ask.TypeNames.Count) { Answer(ask, false, "a dataset needs one type name per key"); return; }
        if (_datasets.TryGetValue(ask.Name, out var old) && !ask.Overwrite)
        {
            Answer(ask, false, $"a dataset named '{ask.Name}' is published already");
            return;
        }

        _datasets[ask.Name] = new DatasetRecord(ask.Keys, ask.TypeNames);
        // (Over an old publication: the scheduler holds the new keys before it lets the old ones go.)
        _datasetChanges.Add(new DatasetChange(ask.Name, ask.Keys, Publish: true));
        Answer(ask, true);
    }
}

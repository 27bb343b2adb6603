using Shoal.Protocol.Messages;
using Shoal.Transfer;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// Makes sure each future's result is held by at least <paramref name="copies"/> workers (all of them when there
    /// are fewer), so that losing a worker loses no result and tasks find their input nearby (Dask's <c>replicate</c>).
    /// Departure from Dask: the copies are put by this client (the result is fetched once, then sent to each new
    /// holder, as a scatter), not fetched worker to worker; it costs the client's bandwidth, not the workers'.
    /// </summary>
    /// <param name="futures">Finished futures of this client (waited for first).</param>
    /// <param name="copies">How many workers should hold each result; null for every worker.</param>
    /// <param name="cancellationToken">Stops the transfers.</param>
    /// <returns>Completes when the scheduler was told of the new holders.</returns>
    public async Task ReplicateAsync(IEnumerable<Future> futures, int? copies = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(futures);
        if (copies is < 1) throw new ArgumentOutOfRangeException(nameof(copies), copies, "at least one copy");
        var list = futures.ToArray();
        var entries = list.Select(OwnEntry).ToArray();
        await FetchAsTheyFinishAsync(entries, cancellationToken).ConfigureAwait(false);
        var info = await GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
        var holders = await WhoHasAsync(list, cancellationToken).ConfigureAwait(false);
        var want = Math.Min(copies ?? info.Workers.Count, info.Workers.Count);
        // Least loaded first: new copies go where they cost least.
        var byLoad = info.Workers.OrderBy(w => w.StoredKeys).ThenBy(w => w.Executing).Select(w => w.Address).ToArray();
        foreach (var entry in entries)
        {
            var has = holders.GetValueOrDefault(entry.Key) ?? [];
            var add = byLoad.Where(w => !has.Contains(w)).Take(Math.Max(0, want - has.Count)).ToArray();
            if (add.Length == 0) continue;
            var encoded = new[] { Payloads.Encode(entry.Value, ByReference) };
            var generation = NewPutGeneration(); // told to the scheduler as a scatter's
            await Task.WhenAll(add.Select(worker => PutAsync(worker, [0], [entry.Key], encoded, generation, cancellationToken))).ConfigureAwait(false);
            var update = new ScatterUpdate { Wanted = true };
            update.Workers.AddRange(add);
            update.Keys.Add(new KeyNbytes { Key = entry.Key, Nbytes = (ulong)encoded[0].Nbytes, TypeName = encoded[0].TypeName, Generation = generation });
            _outbox.Send(new Envelope { ScatterUpdate = update });
        }

        await _outbox.DrainAsync().ConfigureAwait(false);
    }
}

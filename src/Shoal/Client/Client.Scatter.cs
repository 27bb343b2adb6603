using Shoal.ClientSide;
using Shoal.Protocol.Messages;
using Shoal.Protocol;
using Shoal.Transfer;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// Sends a value to the cluster once and returns a future for it, so that many tasks can use
    /// it without each carrying a copy. With <paramref name="broadcast"/> every worker gets a copy.
    /// </summary>
    /// <typeparam name="T">Value type.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="broadcast">Copy it to every worker rather than one.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>A finished future for the value.</returns>
    public async Task<Future<T>> ScatterAsync<T>(T value, bool broadcast = false, CancellationToken cancellationToken = default) =>
        (await ScatterAsync<T>([value], broadcast, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Sends each value to the cluster (spread over the workers, or to all of them with <paramref name="broadcast"/>) and returns a future per value.</summary>
    /// <typeparam name="T">Value type.</typeparam>
    /// <param name="values">The values.</param>
    /// <param name="broadcast">Copy every value to every worker.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>Finished futures, in order.</returns>
    public Task<Future<T>[]> ScatterAsync<T>(IEnumerable<T> values, bool broadcast = false, CancellationToken cancellationToken = default) =>
        ScatterCoreAsync(values as IReadOnlyList<T> ?? [.. values], null, null, broadcast, cancellationToken);

    /// <summary>Sends each value to the named workers (spread over them, or to each of them with <paramref name="broadcast"/>) and returns a future per value.</summary>
    /// <typeparam name="T">Value type.</typeparam>
    /// <param name="values">The values.</param>
    /// <param name="workers">Names or addresses of the workers to place them on; null for any.</param>
    /// <param name="broadcast">Copy every value to every one of those workers.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>Finished futures, in order.</returns>
    public Task<Future<T>[]> ScatterAsync<T>(IEnumerable<T> values, IReadOnlyList<string>? workers, bool broadcast = false, CancellationToken cancellationToken = default) =>
        ScatterCoreAsync(values as IReadOnlyList<T> ?? [.. values], null, workers, broadcast, cancellationToken);

    /// <summary>
    /// Sends each value under the key it is given and returns a future per key (Dask's scatter of a dictionary; a
    /// dictionary given to <c>ScatterAsync</c> is one value).
    /// </summary>
    /// <typeparam name="T">Value type.</typeparam>
    /// <param name="values">The values by the keys they get on the cluster.</param>
    /// <param name="workers">Names or addresses of the workers to place them on; null for any.</param>
    /// <param name="broadcast">Copy every value to every one of those workers.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>Finished futures by key.</returns>
    public async Task<IReadOnlyDictionary<string, Future<T>>> ScatterByKeyAsync<T>(IReadOnlyDictionary<string, T> values, IReadOnlyList<string>? workers = null,
        bool broadcast = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var pairs = values.ToArray();
        foreach (var (key, _) in pairs) ArgumentException.ThrowIfNullOrWhiteSpace(key, nameof(values));
        var futures = await ScatterCoreAsync<T>([.. pairs.Select(p => p.Value)], [.. pairs.Select(p => p.Key)], workers, broadcast, cancellationToken).ConfigureAwait(false);
        var byKey = new Dictionary<string, Future<T>>(StringComparer.Ordinal);
        for (var i = 0; i < pairs.Length; i++) byKey[pairs[i].Key] = futures[i];
        return byKey;
    }

    private async Task<Future<T>[]> ScatterCoreAsync<T>(IReadOnlyList<T> items, string[]? chosenKeys, IReadOnlyList<string>? workers, bool broadcast, CancellationToken cancellationToken)
    {
        var info = await GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
        if (info.Workers.Count == 0) throw new InvalidOperationException("Cannot scatter: the cluster has no workers yet (see WaitForWorkersAsync).");
        var pool = workers is null ? info.Workers : ChooseWorkers(info, workers);
        var keys = new string[items.Count];
        var targets = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var start = Random.Shared.Next(pool.Count);
        for (var i = 0; i < items.Count; i++)
        {
            keys[i] = chosenKeys?[i] ?? KeyTokenizer.ScatterKey(items[i]);
            var chosen = broadcast ? pool : [pool[(start + i) % pool.Count]];
            foreach (var worker in chosen)
            {
                if (!targets.TryGetValue(worker.Address, out var list)) targets[worker.Address] = list = [];
                list.Add(i);
            }
        }

        var encoded = new EncodedValue[items.Count];
        for (var i = 0; i < items.Count; i++) encoded[i] = Payloads.Encode(items[i], ByReference);
        // Told to the workers and the scheduler: a FreeKeys of an earlier scatter of the same (content-addressed) key
        // can reach a worker after this put (the scheduler sends it on another connection); the worker then keeps this one.
        var generation = NewPutGeneration();
        await Task.WhenAll(targets.Select(pair => PutAsync(pair.Key, pair.Value, keys, encoded, generation, cancellationToken))).ConfigureAwait(false);

        var futures = new Future<T>[items.Count];
        var byWorkers = new Dictionary<string, (List<int> Indices, string[] Workers)>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var holders = targets.Where(t => t.Value.Contains(i)).Select(t => t.Key).ToArray();
            var entry = Acquire(keys[i], typeof(T), out var isNew);
            entry.SetValue(items[i]);
            entry.SetFinished(holders);
            futures[i] = new Future<T>(keys[i], entry);
            if (!isNew) continue;
            var group = string.Join('\n', holders);
            if (!byWorkers.TryGetValue(group, out var g)) byWorkers[group] = g = ([], holders);
            g.Indices.Add(i);
        }

        foreach (var (indices, holders) in byWorkers.Values)
        {
            var update = new ScatterUpdate { Wanted = true };
            update.Workers.AddRange(holders);
            foreach (var i in indices) update.Keys.Add(new KeyNbytes { Key = keys[i], Nbytes = (ulong)encoded[i].Nbytes, TypeName = encoded[i].TypeName, Generation = generation });
            _outbox.Send(new Envelope { ScatterUpdate = update });
        }

        // Handed to the connection before returning: a request made next (WhoHas, a task's submission) reaches the
        // scheduler after the scatter, not before it.
        await _outbox.DrainAsync().ConfigureAwait(false);
        return futures;
    }

    /// <summary>A put's generation: random and never 0, which means "none" (ValueRef.generation).</summary>
    private static ulong NewPutGeneration() => (ulong)Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>The workers named (by name or address), or an error naming the ones the cluster has.</summary>
    private static IReadOnlyList<WorkerDescription> ChooseWorkers(ClusterInfo info, IReadOnlyList<string> workers)
    {
        if (workers.Count == 0) throw new ArgumentException("no workers were named", nameof(workers));
        return [.. workers.Select(w => info.Workers.FirstOrDefault(d => d.Name == w || d.Address == w)
            ?? throw new ArgumentException($"no worker named or at '{w}' (the cluster has {string.Join(", ", info.Workers.Select(d => d.Name))})", nameof(workers)))];
    }

    private async Task PutAsync(string worker, List<int> indices, string[] keys, EncodedValue[] encoded, ulong generation, CancellationToken cancellationToken)
    {
        var connection = await _peers.GetAsync(worker, cancellationToken).ConfigureAwait(false);
        var id = connection.NextRequestId();
        var put = new PutData { RequestId = id };
        var segments = new List<Segment>();
        foreach (var i in indices)
        {
            put.Values.Add(new ValueRef { Key = keys[i], FirstSegment = (uint)segments.Count, SegmentCount = (uint)encoded[i].Segments.Length, Nbytes = (ulong)encoded[i].Nbytes, TypeName = encoded[i].TypeName, Generation = generation });
            segments.AddRange(encoded[i].Segments);
        }

        await connection.RequestAsync(id, new Envelope { PutData = put }, segments.ToArray(), cancellationToken).ConfigureAwait(false);
        Instruments.Scattered(indices.Sum(i => encoded[i].Nbytes));
    }
}

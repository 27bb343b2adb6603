using Shoal.ClientSide;
using Shoal.Comm;
using Shoal.Comm.Rpc;
using Shoal.Protocol.Messages;
using Shoal.Transfer;

namespace Shoal;

public sealed partial class Client
{
    private const int MaxKeysPerFetch = 4096;


    /// <summary>
    /// Waits for all <paramref name="futures"/> and returns their results in order. Results are
    /// fetched from the workers as they finish, in batches (whatever finished while the previous
    /// batch was fetched), so the client holds them early: should a worker die meanwhile, what the
    /// client already holds is put back rather than computed again.
    /// </summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="futures">The futures.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The results; the first failed task's exception is thrown instead.</returns>
    public async Task<T[]> GatherAsync<T>(IEnumerable<Future<T>> futures, CancellationToken cancellationToken = default)
    {
        var list = futures as IReadOnlyList<Future<T>> ?? [.. futures];
        var entries = new ClientKeyEntry[list.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = OwnEntry(list[i]);
        }

        // Inside a task, waiting on other tasks gives up the task's slot (see WorkerContext).
        await using (WorkerContext.GiveUpSlotWhileWaiting(Array.TrueForAll(entries, e => e.Done.IsCompleted)).ConfigureAwait(false))
            await FetchAsTheyFinishAsync(entries, cancellationToken).ConfigureAwait(false);
        var results = new T[entries.Length];
        for (var i = 0; i < results.Length; i++) results[i] = (T)entries[i].Value!;
        return results;
    }

    /// <summary>Waits for one future and returns its result.</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="future">The future.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The result.</returns>
    public Task<T> GatherAsync<T>(Future<T> future, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(future);
        OwnEntry(future);
        return future.ResultAsync(cancellationToken);
    }

    /// <summary>The entry of a future this client made; another client's future is refused (see <see cref="NotOurs"/>).</summary>
    internal ClientKeyEntry OwnEntry(Future future) =>
        future.Entry is { } entry && ReferenceEquals(entry.Owner, this) ? entry : throw NotOurs(future);

    internal async Task<object?> GetValueAsync(ClientKeyEntry entry, CancellationToken cancellationToken)
    {
        // A cancelled key throws even if its value was fetched before the cancel.
        if (entry.Status == FutureStatus.Cancelled) entry.ThrowIfNotFinished();
        if (!entry.HasValue)
        {
            await using var slot = WorkerContext.GiveUpSlotWhileWaiting(entry.Done.IsCompleted).ConfigureAwait(false);
            await entry.Done.WaitAsync(cancellationToken).ConfigureAwait(false);
            entry.ThrowIfNotFinished();
            await FetchAsync([entry], cancellationToken).ConfigureAwait(false);
        }

        return entry.Value;
    }

    /// <summary>Fetches each result once its task finished, batching those that finish while a fetch is under way.</summary>
    private async Task FetchAsTheyFinishAsync(ClientKeyEntry[] entries, CancellationToken cancellationToken)
    {
        var finished = System.Threading.Channels.Channel.CreateUnbounded<int>(new() { SingleReader = true });
        for (var i = 0; i < entries.Length; i++)
        {
            var done = entries[i].Done;
            if (done.IsCompleted)
            {
                finished.Writer.TryWrite(i);
                continue;
            }

            var index = i;
            done.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => finished.Writer.TryWrite(index));
        }

        var batch = new List<ClientKeyEntry>();
        for (var remaining = entries.Length; remaining > 0;)
        {
            await finished.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            batch.Clear();
            var failed = false;
            while (finished.Reader.TryRead(out var i))
            {
                remaining--;
                batch.Add(entries[i]);
                failed |= entries[i].Status is not FutureStatus.Finished and not FutureStatus.Pending;
            }

            // A failure throws the first failed task's exception in order, as waiting for each in turn would.
            if (failed) await WaitAllAsync(entries, cancellationToken).ConfigureAwait(false);
            await FetchAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WaitAllAsync(ClientKeyEntry[] entries, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            if (!entry.Done.IsCompleted) await entry.Done.WaitAsync(cancellationToken).ConfigureAwait(false);
            entry.ThrowIfNotFinished();
        }
    }

    /// <summary>Fetches the results not fetched yet, grouped by the worker that holds them.</summary>
    private async Task FetchAsync(IReadOnlyList<ClientKeyEntry> entries, CancellationToken cancellationToken)
    {
        var byWorker = new Dictionary<string, List<ClientKeyEntry>>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        List<ClientKeyEntry>? lost = null;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.HasValue || !seen.Add(entry.Key)) continue;
            var workers = entry.Workers;
            if (workers.Length == 0)
            {
                // Lost with its workers (KeyLost) after it finished: being recomputed; find it when it is back.
                (lost ??= []).Add(entry);
                continue;
            }

            var worker = workers[i % workers.Length];
            if (!byWorker.TryGetValue(worker, out var group)) byWorker[worker] = group = [];
            group.Add(entry);
        }

        var fetches = new List<Task>();
        if (lost is not null) fetches.Add(RelocateAndFetchAsync(lost, cancellationToken));
        foreach (var (worker, group) in byWorker)
        {
            for (var start = 0; start < group.Count; start += MaxKeysPerFetch)
            {
                fetches.Add(FetchFromAsync(worker, group.GetRange(start, Math.Min(MaxKeysPerFetch, group.Count - start)), retry: true, cancellationToken));
            }
        }

        await Task.WhenAll(fetches).ConfigureAwait(false);
    }

    private async Task FetchFromAsync(string worker, List<ClientKeyEntry> group, bool retry, CancellationToken cancellationToken)
    {
        var byKey = group.ToDictionary(e => e.Key, StringComparer.Ordinal);
        DataReply reply;
        IncomingMessage incoming;
        try
        {
            var connection = await _peers.GetAsync(worker, cancellationToken).ConfigureAwait(false);
            var id = connection.NextRequestId();
            var request = new GetData { RequestId = id };
            foreach (var entry in group) request.Keys.Add(entry.Key);
            incoming = await connection.RequestAsync(id, new Envelope { GetData = request }, default, cancellationToken).ConfigureAwait(false);
            reply = incoming.Message.DataReply;
        }
        catch (Exception e) when (retry && e is ConnectionClosedException or IOException or System.Net.Sockets.SocketException)
        {
            _peers.Evict(worker);
            await RelocateAndFetchAsync(group, cancellationToken).ConfigureAwait(false);
            return;
        }

        var segments = incoming.Segments.Span;
        var held = new List<string>(reply.Values.Count);
        long bytes = 0;
        foreach (var value in reply.Values)
        {
            if (!byKey.TryGetValue(value.Key, out var entry)) continue;
            entry.SetValue(Payloads.Decode(segments.Slice((int)value.FirstSegment, (int)value.SegmentCount), entry.ValueType));
            held.Add(value.Key);
            bytes += (long)value.Nbytes;
        }

        Instruments.Gathered(held.Count, bytes);

        ReportHeld(held);

        if (reply.Missing.Count > 0)
        {
            if (!retry) throw new InvalidOperationException($"Worker {worker} no longer holds {string.Join(", ", reply.Missing.Take(5))}.");
            await RelocateAndFetchAsync([.. reply.Missing.Select(k => byKey[k])], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Asks the scheduler where the keys live now and fetches them from there. A holder that
    /// just died may still be listed (the scheduler has not noticed yet), and a lost result may
    /// be being recomputed: both are asked again, with a back-off, for up to a minute.
    /// </summary>
    private async Task RelocateAndFetchAsync(List<ClientKeyEntry> group, CancellationToken cancellationToken)
    {
        var pending = group;
        var delay = TimeSpan.FromMilliseconds(20);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var id = _scheduler.NextRequestId();
            var request = new WhoHasRequest { RequestId = id };
            foreach (var entry in pending) request.Keys.Add(entry.Key);
            var reply = await _scheduler.RequestAsync(id, new Envelope { WhoHas = request }, default, cancellationToken).ConfigureAwait(false);
            var byKey = pending.ToDictionary(e => e.Key, StringComparer.Ordinal);
            var byWorker = new Dictionary<string, List<ClientKeyEntry>>(StringComparer.Ordinal);
            var attempt = (int)(clock.ElapsedTicks & 0x7fff);
            foreach (var location in reply.Message.WhoHasReply.Locations)
            {
                if (location.Workers.Count == 0 || !byKey.TryGetValue(location.Key, out var entry)) continue;
                var worker = location.Workers[attempt % location.Workers.Count];
                if (!byWorker.TryGetValue(worker, out var list)) byWorker[worker] = list = [];
                list.Add(entry);
            }

            await Task.WhenAll(byWorker.Select(async pair =>
            {
                try
                {
                    await FetchFromAsync(pair.Key, pair.Value, retry: false, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ConnectionClosedException or IOException or System.Net.Sockets.SocketException or InvalidOperationException)
                {
                    _peers.Evict(pair.Key);
                }
            })).ConfigureAwait(false);

            pending = pending.Where(e => !e.HasValue).ToList();
            if (pending.Count == 0) return;
            if (clock.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new InvalidOperationException($"The results of {string.Join(", ", pending.Take(5).Select(e => e.Key))} are no longer held by any worker.");
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(500, delay.TotalMilliseconds * 2));
        }
    }
}

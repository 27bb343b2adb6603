using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Shoal.ClientSide;

namespace Shoal;

/// <summary>
/// Futures yielded as their tasks complete, in completion order (Dask's <c>as_completed</c> object): more futures
/// may be added while iterating (<see cref="Add"/>), what completed together can be taken in batches
/// (<see cref="BatchesAsync"/>), and results can come with the futures (<see cref="WithResultsAsync"/>, fetched
/// in batches). Iteration ends when every future added so far has been yielded. Iterate it once.
/// Made by <see cref="Client.AsCompletedSet{T}(IEnumerable{Future{T}})"/>.
/// </summary>
/// <typeparam name="T">The futures' result type.</typeparam>
public sealed class AsCompletedSet<T> : IAsyncEnumerable<Future<T>>
{
    private readonly Client _client;
    private readonly Channel<Future<T>> _completed = Channel.CreateUnbounded<Future<T>>(new UnboundedChannelOptions { SingleReader = true });
    private int _outstanding;

    internal AsCompletedSet(Client client, IEnumerable<Future<T>> futures)
    {
        _client = client;
        foreach (var future in futures) Add(future);
    }

    /// <summary>How many futures were added and not yielded yet.</summary>
    public int Count => Volatile.Read(ref _outstanding);

    /// <summary>Adds a future (of the same client); it is yielded when its task completes, even while iterating.</summary>
    /// <param name="future">The future.</param>
    public void Add(Future<T> future)
    {
        ArgumentNullException.ThrowIfNull(future);
        var entry = _client.OwnEntry(future);
        Interlocked.Increment(ref _outstanding);
        var done = entry.Done;
        if (done.IsCompleted) _completed.Writer.TryWrite(future);
        else done.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => _completed.Writer.TryWrite(future));
    }

    /// <summary>Adds several futures.</summary>
    /// <param name="futures">The futures.</param>
    public void Update(IEnumerable<Future<T>> futures)
    {
        ArgumentNullException.ThrowIfNull(futures);
        foreach (var future in futures) Add(future);
    }

    /// <inheritdoc />
    public async IAsyncEnumerator<Future<T>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        while (Volatile.Read(ref _outstanding) > 0)
        {
            var future = await _completed.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Decrement(ref _outstanding);
            yield return future;
        }
    }

    /// <summary>Yields whatever completed since the last batch (at least one future each), until all are yielded.</summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>Batches of completed futures, in completion order.</returns>
    public async IAsyncEnumerable<IReadOnlyList<Future<T>>> BatchesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (Volatile.Read(ref _outstanding) > 0)
        {
            var batch = new List<Future<T>> { await _completed.Reader.ReadAsync(cancellationToken).ConfigureAwait(false) };
            while (_completed.Reader.TryRead(out var more)) batch.Add(more);
            Interlocked.Add(ref _outstanding, -batch.Count);
            yield return batch;
        }
    }

    /// <summary>
    /// Yields each future with its result as it completes; the results of what completed together are fetched in one
    /// request per worker. A failed or cancelled future throws its exception, as awaiting it would.
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>Futures and their results, in completion order.</returns>
    public async IAsyncEnumerable<(Future<T> Future, T Result)> WithResultsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var batch in BatchesAsync(cancellationToken).ConfigureAwait(false))
        {
            var entries = new ClientKeyEntry[batch.Count];
            for (var i = 0; i < entries.Length; i++) entries[i] = batch[i].Entry!;
            await _client.FetchCompletedAsync(entries, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < entries.Length; i++)
            {
                var value = entries[i].HasValue && entries[i].Status == FutureStatus.Finished
                    ? entries[i].Value
                    : await _client.GetValueAsync(entries[i], cancellationToken).ConfigureAwait(false);
                yield return (batch[i], (T)value!);
            }
        }
    }
}

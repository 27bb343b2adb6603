using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Shoal.ClientSide;
using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>Yields each future as soon as its task finishes, fails or is cancelled, in completion order.</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="futures">The futures to watch.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The same futures, in the order they completed.</returns>
    public async IAsyncEnumerable<Future<T>> AsCompleted<T>(IEnumerable<Future<T>> futures, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = futures as IReadOnlyList<Future<T>> ?? [.. futures];
        var done = Channel.CreateUnbounded<Future<T>>(new UnboundedChannelOptions { SingleReader = true });
        foreach (var future in list)
        {
            var entry = OwnEntry(future);
            if (entry.Done.IsCompleted) done.Writer.TryWrite(future);
            else _ = entry.Done.ContinueWith(static (_, state) => ((Action)state!)(), (Action)(() => done.Writer.TryWrite(future)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        for (var i = 0; i < list.Count; i++)
        {
            yield return await done.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A set of futures to iterate as they complete, to which more can be added meanwhile; it yields in batches and
    /// with results too (Dask's <c>as_completed</c> with <c>add</c>, <c>batches</c> and <c>with_results</c>).
    /// </summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="futures">The futures to start with (this client's).</param>
    /// <returns>The set; iterate it once.</returns>
    public AsCompletedSet<T> AsCompletedSet<T>(IEnumerable<Future<T>> futures)
    {
        ArgumentNullException.ThrowIfNull(futures);
        return new AsCompletedSet<T>(this, futures);
    }

    /// <summary>
    /// Yields each future with its result as its task completes; what completes together is fetched in one request per
    /// worker. A failed or cancelled future throws its exception.
    /// </summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="futures">The futures (this client's).</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>Futures and results, in completion order.</returns>
    public IAsyncEnumerable<(Future<T> Future, T Result)> AsCompletedWithResults<T>(IEnumerable<Future<T>> futures, CancellationToken cancellationToken = default) =>
        AsCompletedSet(futures).WithResultsAsync(cancellationToken);

    /// <summary>Fetches in one go the results of finished keys not fetched yet (errors and cancellations are left to the caller).</summary>
    internal Task FetchCompletedAsync(IReadOnlyList<ClientKeyEntry> entries, CancellationToken cancellationToken)
    {
        List<ClientKeyEntry>? finished = null;
        foreach (var entry in entries)
        {
            if (entry.Status == FutureStatus.Finished && !entry.HasValue) (finished ??= []).Add(entry);
        }

        return finished is null ? Task.CompletedTask : FetchAsync(finished, cancellationToken);
    }

    /// <summary>
    /// Cancels the futures' tasks: those not finished stop (or are dropped when they finish), and their results are
    /// released. The futures are cancelled at once (awaiting one throws <see cref="OperationCanceledException"/>);
    /// submitting the same work again afterwards runs it again.
    /// </summary>
    /// <param name="futures">The futures.</param>
    /// <param name="cancellationToken">Stops waiting for the scheduler to confirm.</param>
    /// <returns>Completes when the scheduler confirmed every cancellation.</returns>
    public async Task CancelAsync(IEnumerable<Future> futures, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(futures);
        var cancel = new CancelKeys();
        var waits = new List<Task>();
        foreach (var future in futures)
        {
            if (future.Entry is not { } entry || !ReferenceEquals(entry.Owner, this)) throw NotOurs(future);
            if (!MarkCancelling(entry)) continue;
            cancel.Keys.Add(entry.Key);
            waits.Add(entry.Cancelled);
        }

        if (cancel.Keys.Count == 0) return;
        _outbox.Send(new Envelope { CancelKeys = cancel });
        await Task.WhenAll(waits).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels one future's task.</summary>
    /// <param name="future">The future.</param>
    /// <param name="cancellationToken">Stops waiting for the scheduler to confirm.</param>
    /// <returns>Completes when the scheduler confirmed the cancellation.</returns>
    public Task CancelAsync(Future future, CancellationToken cancellationToken = default) => CancelAsync([future], cancellationToken);
}

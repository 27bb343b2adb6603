using Shoal.Protocol.Messages;

namespace Shoal;

/// <summary>What a rebalance did.</summary>
/// <param name="Moved">Results moved to another worker (their old copies dropped).</param>
/// <param name="MovedBytes">The bytes of those results.</param>
/// <param name="Abandoned">Moves given up because a worker left, a result was released, or a copy did not come within a minute; those results stay where they were.</param>
public sealed record RebalanceResult(int Moved, long MovedBytes, int Abandoned);

public sealed partial class Client
{
    /// <summary>
    /// Moves results between workers so that each holds about the same bytes (Dask's <c>rebalance</c>): workers above
    /// the mean hand their largest results to those below it. A moved result is copied first and dropped at its old
    /// worker only once the copy is reported, so nothing is lost and every future stays gatherable; the scheduler's
    /// record of who holds what follows. Shoal balances the results' bytes the scheduler knows (Dask looks at process
    /// memory). Results used by a task running on their worker stay there.
    /// </summary>
    /// <param name="futures">Only these results (waited for first); null for every result in memory.</param>
    /// <param name="workers">Only between these workers (names or addresses); null for all.</param>
    /// <param name="cancellationToken">Stops waiting (moves under way go on).</param>
    /// <returns>How many results moved, once every move ended.</returns>
    /// <exception cref="ArgumentException">A worker is unknown, or a future is not in memory (erred, cancelled, lost); nothing moves.</exception>
    public async Task<RebalanceResult> RebalanceAsync(IEnumerable<Future>? futures = null, IEnumerable<string>? workers = null, CancellationToken cancellationToken = default)
    {
        var request = new RebalanceRequest { RequestId = _scheduler.NextRequestId() };
        if (futures is not null)
        {
            var list = futures.ToArray();
            foreach (var future in list) request.Keys.Add(OwnEntry(future).Key);
            await WaitAsync(list, WaitFor.AllCompleted, null, cancellationToken).ConfigureAwait(false);
        }

        if (workers is not null) request.Workers.AddRange(workers);
        if (request.Workers.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("a worker name is empty", nameof(workers));
        await _outbox.DrainAsync().ConfigureAwait(false); // results scattered just before are known to the scheduler first
        var message = await _scheduler.RequestAsync(request.RequestId, new Envelope { Rebalance = request }, default, cancellationToken).ConfigureAwait(false);
        var reply = message.Message.RebalanceReply;
        if (reply.Error.Length > 0)
        {
            throw new ArgumentException("cannot rebalance: " + reply.Error, reply.Error.StartsWith("no such worker", StringComparison.Ordinal) ? nameof(workers) : nameof(futures));
        }

        return new RebalanceResult((int)reply.Moved, (long)reply.MovedBytes, (int)reply.Abandoned);
    }
}

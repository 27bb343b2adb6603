using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// Retires workers gracefully: they get no new tasks, finish those they have, results that
    /// only they hold are copied to other workers, then they are closed. Nothing is recomputed.
    /// </summary>
    /// <param name="workers">Names or addresses of the workers to retire.</param>
    /// <param name="cancellationToken">Stops waiting (the retirement goes on).</param>
    /// <returns>The names of the workers retired.</returns>
    public Task<IReadOnlyList<string>> RetireWorkersAsync(IEnumerable<string> workers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workers);
        return RetireAsync([.. workers], 0, cancellationToken);
    }

    /// <summary>Retires <paramref name="count"/> workers of the scheduler's choosing (the cheapest to close).</summary>
    /// <param name="count">How many workers to retire.</param>
    /// <param name="cancellationToken">Stops waiting (the retirement goes on).</param>
    /// <returns>The names of the workers retired.</returns>
    public Task<IReadOnlyList<string>> RetireWorkersAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return RetireAsync([], count, cancellationToken);
    }

    private async Task<IReadOnlyList<string>> RetireAsync(string[] workers, int count, CancellationToken cancellationToken)
    {
        await _outbox.DrainAsync().ConfigureAwait(false); // submissions made before come first
        var id = _scheduler.NextRequestId();
        var request = new RetireWorkersRequest { RequestId = id, N = (uint)count };
        request.Workers.AddRange(workers);
        var reply = await _scheduler.RequestAsync(id, new Envelope { RetireWorkers = request }, default, cancellationToken).ConfigureAwait(false);
        return [.. reply.Message.RetireWorkersReply.Retired];
    }
}

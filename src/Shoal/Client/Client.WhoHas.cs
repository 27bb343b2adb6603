using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>Which workers hold each future's result (Dask's <c>who_has</c>), by key; a key not in memory has no workers.</summary>
    /// <param name="futures">The futures.</param>
    /// <param name="cancellationToken">Stops waiting for the scheduler.</param>
    /// <returns>Worker addresses by key.</returns>
    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> WhoHasAsync(IEnumerable<Future> futures, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(futures);
        return WhoHasKeysAsync(futures.Select(f => f.Key), cancellationToken);
    }

    private async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> WhoHasKeysAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        var id = _scheduler.NextRequestId();
        var request = new WhoHasRequest { RequestId = id };
        request.Keys.AddRange(keys);
        var reply = await _scheduler.RequestAsync(id, new Envelope { WhoHas = request }, default, cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var key in request.Keys) result[key] = [];
        foreach (var location in reply.Message.WhoHasReply.Locations) result[location.Key] = [.. location.Workers];
        return result;
    }
}

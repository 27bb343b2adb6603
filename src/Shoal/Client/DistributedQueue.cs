using Shoal.Protocol.Messages;

namespace Shoal;

/// <summary>
/// A first-in first-out queue held by the scheduler, shared by every client and task of the cluster (Dask's
/// <c>Queue</c>; named so that it does not collide with <see cref="System.Collections.Generic.Queue{T}"/>). An item
/// goes to exactly one getter, the longest waiting first.
/// </summary>
/// <typeparam name="T">The items' type.</typeparam>
/// <param name="client">The client to reach the scheduler through.</param>
/// <param name="name">The queue's name on the cluster.</param>
public sealed class DistributedQueue<T>(Client client, string name)
{
    private readonly Client _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>The queue's name on the cluster.</summary>
    public string Name { get; } = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("a queue needs a name", nameof(name));

    /// <summary>
    /// Appends an item. A future (of this client) is kept by the scheduler while it is queued, even if this client
    /// releases it or leaves; the getter gets a future of its own client, which holds it from then on.
    /// </summary>
    public Task PutAsync(T item, CancellationToken cancellationToken = default) =>
        _client.CoordinateValueAsync(new CoordinationRequest { Op = CoordinationOp.QueuePut, Name = Name }, item, cancellationToken);

    /// <summary>Takes the first item, waiting for one (at most <paramref name="timeout"/>; null: no limit).</summary>
    /// <exception cref="TimeoutException">No item came within <paramref name="timeout"/>.</exception>
    public async Task<T> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var incoming = await _client.CoordinateAsync(new CoordinationRequest { Op = CoordinationOp.QueueGet, Name = Name, Timeout = Client.TimeoutSeconds(timeout) },
            default, cancellationToken).ConfigureAwait(false);
        if (!incoming.Message.CoordinationReply.Ok) throw new TimeoutException($"queue '{Name}' had no item within {timeout}");
        return await _client.ReceiveCoordinationValueAsync<T>(incoming, $"queue '{Name}'").ConfigureAwait(false);
    }

    /// <summary>The number of items in the queue now.</summary>
    public async Task<long> CountAsync(CancellationToken cancellationToken = default) =>
        (await _client.CoordinateAsync(new CoordinationRequest { Op = CoordinationOp.QueueSize, Name = Name }, default, cancellationToken).ConfigureAwait(false))
            .Message.CoordinationReply.Count;
}

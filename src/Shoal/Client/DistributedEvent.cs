using Shoal.Protocol.Messages;

namespace Shoal;

/// <summary>A flag held by the scheduler that clients and tasks set, clear and wait for (Dask's <c>Event</c>).</summary>
/// <param name="client">The client to reach the scheduler through.</param>
/// <param name="name">The event's name on the cluster.</param>
public sealed class DistributedEvent(Client client, string name)
{
    private readonly Client _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>The event's name on the cluster.</summary>
    public string Name { get; } = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("an event needs a name", nameof(name));

    /// <summary>Sets the flag: every waiter goes on, and later waits return at once.</summary>
    public Task SetAsync(CancellationToken cancellationToken = default) => Send(CoordinationOp.EventSet, cancellationToken);

    /// <summary>Clears the flag: later waits wait again.</summary>
    public Task ClearAsync(CancellationToken cancellationToken = default) => Send(CoordinationOp.EventClear, cancellationToken);

    /// <summary>Waits until the flag is set (at most <paramref name="timeout"/>; null: no limit); false on timeout.</summary>
    public async Task<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await _client.CoordinateAsync(new CoordinationRequest { Op = CoordinationOp.EventWait, Name = Name, Timeout = Client.TimeoutSeconds(timeout) },
            default, cancellationToken).ConfigureAwait(false)).Message.CoordinationReply.Ok;

    /// <summary>Whether the flag is set now.</summary>
    public async Task<bool> IsSetAsync(CancellationToken cancellationToken = default) =>
        (await _client.CoordinateAsync(new CoordinationRequest { Op = CoordinationOp.EventIsSet, Name = Name }, default, cancellationToken).ConfigureAwait(false))
            .Message.CoordinationReply.Ok;

    private Task Send(CoordinationOp op, CancellationToken cancellationToken) =>
        _client.CoordinateAsync(new CoordinationRequest { Op = op, Name = Name }, default, cancellationToken);
}

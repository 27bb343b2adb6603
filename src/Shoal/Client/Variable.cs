using Shoal.Protocol.Messages;

namespace Shoal;

/// <summary>
/// A named value held by the scheduler that every client and task of the cluster can set and read (Dask's
/// <c>Variable</c>). Values travel as task results do (by reference in-process, serialized otherwise); the scheduler
/// never decodes them. A value may be a <see cref="Future{T}"/> (use <c>Variable&lt;Future&lt;TResult&gt;&gt;</c>): its task
/// is kept while it is the value, and the variable's old future is let go when the value changes or is deleted.
/// </summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="client">The client to reach the scheduler through (inside a task: <see cref="WorkerContext.GetClientAsync"/>).</param>
/// <param name="name">The variable's name on the cluster.</param>
public sealed class Variable<T>(Client client, string name)
{
    private readonly Client _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>The variable's name on the cluster.</summary>
    public string Name { get; } = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("a variable needs a name", nameof(name));

    /// <summary>
    /// Sets the value; whoever waits in <see cref="GetAsync"/> gets it. A future (of this client) is kept by the scheduler
    /// while it is the value, even if this client releases it or leaves, and each reader gets a future of its own client.
    /// </summary>
    public Task SetAsync(T value, CancellationToken cancellationToken = default) =>
        _client.CoordinateValueAsync(new CoordinationRequest { Op = CoordinationOp.VariableSet, Name = Name }, value, cancellationToken);

    /// <summary>The value, waiting until one is set (at most <paramref name="timeout"/>; null: no limit).</summary>
    /// <exception cref="TimeoutException">No value was set within <paramref name="timeout"/>.</exception>
    public async Task<T> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var incoming = await _client.CoordinateAsync(new CoordinationRequest { Op = CoordinationOp.VariableGet, Name = Name, Timeout = Client.TimeoutSeconds(timeout) },
            default, cancellationToken).ConfigureAwait(false);
        if (!incoming.Message.CoordinationReply.Ok) throw new TimeoutException($"variable '{Name}' was not set within {timeout}");
        return await _client.ReceiveCoordinationValueAsync<T>(incoming, $"variable '{Name}'").ConfigureAwait(false);
    }

    /// <summary>Deletes the value; false when none was set.</summary>
    public async Task<bool> DeleteAsync(CancellationToken cancellationToken = default) =>
        (await _client.CoordinateAsync(new CoordinationRequest { Op = CoordinationOp.VariableDelete, Name = Name }, default, cancellationToken).ConfigureAwait(false))
            .Message.CoordinationReply.Ok;
}

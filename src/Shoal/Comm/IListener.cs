using System.Runtime.CompilerServices;

namespace Shoal.Comm;

/// <summary>
/// A listening endpoint. Connections that finished their handshake queue up for
/// <see cref="AcceptAsync"/>; connections that failed it are closed, logged and reported through
/// <see cref="ListenerOptions.HandshakeFailed"/>, and the listener keeps accepting.
/// <see cref="IAsyncDisposable.DisposeAsync"/> stops listening and frees the port (connections
/// already accepted stay open: they belong to whoever accepted them).
/// </summary>
internal interface IListener : IAsyncDisposable
{
    /// <summary>
    /// The address to give others: the real port when port 0 was asked for, and for a listener on
    /// every interface (<c>tcp://0.0.0.0:port</c>) this machine's main IP address instead of 0.0.0.0.
    /// </summary>
    string Address { get; }

    /// <summary>Waits for the next connection; null once the listener is disposed.</summary>
    ValueTask<IConnection?> AcceptAsync(CancellationToken cancellationToken = default);
}

/// <summary>Helpers over <see cref="IListener"/>.</summary>
internal static class ListenerExtensions
{
    /// <summary>Yields accepted connections until the listener is disposed or the token cancelled.</summary>
    public static async IAsyncEnumerable<IConnection> AcceptAllAsync(this IListener listener,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await listener.AcceptAsync(cancellationToken).ConfigureAwait(false) is { } connection)
            yield return connection;
    }
}

using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm;

/// <summary>
/// A message connection after its handshake: sends are queued and batched into frames,
/// receives yield one message at a time with the payload segments it points at.
/// </summary>
internal interface IConnection : IAsyncDisposable
{
    /// <summary>What the peer proved in the handshake.</summary>
    PeerInfo Peer { get; }

    /// <summary>The local end's address, as <c>tcp://host:port</c> or <c>inproc://name</c>.</summary>
    string LocalAddress { get; }

    /// <summary>The remote end's address.</summary>
    string RemoteAddress { get; }

    /// <summary>
    /// True when the peer lives in this process (an <c>inproc://</c> connection): segments may
    /// carry object references (<see cref="Segment.FromObject"/>) instead of bytes.
    /// </summary>
    bool IsInProcess { get; }

    /// <summary>
    /// True while messages from the peer wait unread here: decoded frames not yet received, or
    /// bytes in the kernel. A connection that has such input is slow to read, not cut off.
    /// </summary>
    bool HasUnreadInput { get; }

    /// <summary>
    /// Queues a message (with its payload segments) for sending. Never blocks: the writer
    /// batches whatever is queued into one frame when the transport is free. The envelope's
    /// <c>segment_base</c>/<c>segment_count</c> are set by the writer; segment indices inside the
    /// message body are relative to <paramref name="segments"/>.
    /// Throws <see cref="ConnectionClosedException"/> when the connection is closed.
    /// </summary>
    void Send(Envelope message, ReadOnlySpan<Segment> segments = default);

    /// <summary>Waits until everything queued so far was handed to the transport.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Receives the next message, or null when the peer closed the connection cleanly.
    /// Throws <see cref="ConnectionClosedException"/> (with the reason) when it was closed
    /// because of an error: malformed or oversized frame, transport failure.
    /// </summary>
    ValueTask<IncomingMessage?> ReceiveAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes when the connection is closed, for whatever reason.</summary>
    Task Closed { get; }

    /// <summary>Closes the connection, flushing what is queued first when possible.</summary>
    ValueTask CloseAsync(string reason);
}

/// <summary>A received message and the payload segments it points at.</summary>
/// <param name="Message">The message.</param>
/// <param name="Segments">Its segments (indices in the message body are relative to this list).</param>
internal readonly record struct IncomingMessage(Envelope Message, ReadOnlyMemory<Segment> Segments);

/// <summary>What a peer said and proved about itself in the handshake.</summary>
/// <param name="Role">Role it proved (or claimed, when no credentials are used).</param>
/// <param name="Name">Name it gave.</param>
/// <param name="ShoalVersion">Its Shoal version.</param>
/// <param name="Protocol">The protocol version agreed.</param>
/// <param name="SessionId">Id the server gave this connection, if any.</param>
internal sealed record PeerInfo(Role Role, string Name, string ShoalVersion, uint Protocol, string SessionId = "");

/// <summary>Thrown when using a closed connection, with the reason it closed.</summary>
internal sealed class ConnectionClosedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionClosedException(string message, Exception? inner = null) : base(message, inner) { }
}

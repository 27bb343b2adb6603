using System.Threading.Channels;
using Shoal.Protocol.Messages;
using Shoal.Protocol;

namespace Shoal.Comm.Internal;

/// <summary>
/// One end of an in-process connection. Sending writes the envelope and a copy of the segment
/// list (the segments themselves, bytes or objects, by reference) into the peer's unbounded
/// queue; nothing is serialised. Closing either end closes both: queued messages are still
/// delivered, then ReceiveAsync returns null.
/// </summary>
internal sealed class InprocConnection : IConnection
{
    private readonly Channel<IncomingMessage> _incoming = Channel.CreateUnbounded<IncomingMessage>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });
    private readonly Link _link;
    private InprocConnection _peer = null!;

    private InprocConnection(Link link, string local, string remote, PeerInfo peer)
    {
        _link = link;
        LocalAddress = local;
        RemoteAddress = remote;
        Peer = peer;
    }

    /// <summary>Shared close state of the two ends.</summary>
    private sealed class Link
    {
        public readonly TaskCompletionSource Closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public volatile string? Reason;
    }

    /// <summary>Creates both ends: the client's and the server's.</summary>
    public static (InprocConnection Client, InprocConnection Server) CreatePair(string clientAddress, string serverAddress, PeerInfo serverAsSeenByClient, PeerInfo clientAsSeenByServer)
    {
        var link = new Link();
        var client = new InprocConnection(link, clientAddress, serverAddress, serverAsSeenByClient);
        var server = new InprocConnection(link, serverAddress, clientAddress, clientAsSeenByServer);
        client._peer = server;
        server._peer = client;
        return (client, server);
    }

    public PeerInfo Peer { get; }

    public string LocalAddress { get; }

    public string RemoteAddress { get; }

    /// <inheritdoc />
    public bool IsInProcess => true;

    /// <inheritdoc />
    public bool HasUnreadInput => _incoming.Reader.Count > 0;

    public Task Closed => _link.Closed.Task;

    public void Send(Envelope message, ReadOnlySpan<Segment> segments = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var copy = segments.IsEmpty ? ReadOnlyMemory<Segment>.Empty : segments.ToArray();
        if (!_peer._incoming.Writer.TryWrite(new IncomingMessage(message, copy)))
            throw new ConnectionClosedException($"connection to {RemoteAddress} is closed: {_link.Reason ?? "closed"}");
    }

    /// <summary>Sends are handed over at once: nothing to wait for.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask<IncomingMessage?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (_incoming.Reader.TryRead(out var message)) return new ValueTask<IncomingMessage?>(message);
        return ReceiveSlowAsync(cancellationToken);
    }

    private async ValueTask<IncomingMessage?> ReceiveSlowAsync(CancellationToken cancellationToken)
    {
        while (await _incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            if (_incoming.Reader.TryRead(out var message)) return message;
        return null;
    }

    public ValueTask CloseAsync(string reason)
    {
        if (_link.Reason is null)
        {
            _link.Reason = $"closed by {LocalAddress} ({reason})";
            _incoming.Writer.TryComplete();
            _peer._incoming.Writer.TryComplete();
            _link.Closed.TrySetResult();
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => CloseAsync("disposed");
}

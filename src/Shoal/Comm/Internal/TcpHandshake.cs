using System.Buffers;
using Google.Protobuf;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm.Internal;

/// <summary>Runs the handshake over a fresh socket (reading exactly what it needs, never past it).</summary>
internal static class TcpHandshake
{
    /// <summary>Connecting side: sends preamble + Hello, reads the answer.</summary>
    public static async Task<PeerInfo> RunClientAsync(SocketByteChannel socket, string address, ConnectionOptions options, CancellationToken cancellationToken)
    {
        var hello = await Handshake.CreateHelloAsync(options, cancellationToken).ConfigureAwait(false);
        await SendAsync(socket, HandshakeKind.Hello, hello, cancellationToken).ConfigureAwait(false);
        var (kind, message) = await ReceiveAsync(socket, cancellationToken).ConfigureAwait(false);
        switch (message)
        {
            case Welcome welcome:
                Handshake.CheckWelcome(address, welcome, options);
                return Handshake.PeerOf(welcome);
            case Refusal refusal:
                throw Handshake.Refused(address, refusal, options);
            default:
                throw new ProtocolException($"{address} answered the hello with an unexpected {kind} message");
        }
    }

    /// <summary>Accepting side: reads preamble + Hello, answers Welcome or Refusal. Throws when it refused.</summary>
    public static async Task<PeerInfo> RunServerAsync(SocketByteChannel socket, ListenerOptions options, CancellationToken cancellationToken)
    {
        var (kind, message) = await ReceiveAsync(socket, cancellationToken).ConfigureAwait(false);
        if (message is not Hello hello)
            throw new ProtocolException($"expected a hello, got a {kind} message");
        var decision = await Handshake.DecideAsync(hello, options, cancellationToken).ConfigureAwait(false);
        if (decision.Refusal is { } refusal)
        {
            await SendAsync(socket, HandshakeKind.Refusal, refusal, cancellationToken).ConfigureAwait(false);
            socket.ShutdownSend();
            throw Handshake.RefusedPeer(socket.RemoteAddress, hello, refusal);
        }
        await SendAsync(socket, HandshakeKind.Welcome, decision.Welcome!, cancellationToken).ConfigureAwait(false);
        return Handshake.PeerOf(hello, decision.Welcome!);
    }

    private static async ValueTask SendAsync(SocketByteChannel socket, HandshakeKind kind, IMessage message, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        HandshakeCodec.WriteMessage(buffer, kind, message, withPreamble: true);
        await socket.SendAsync(new ReadOnlySequence<byte>(buffer.WrittenMemory), cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<(HandshakeKind Kind, IMessage Message)> ReceiveAsync(SocketByteChannel socket, CancellationToken cancellationToken)
    {
        var header = new byte[HandshakeCodec.PreambleSize + HandshakeCodec.MessageHeaderSize];
        await socket.ReceiveExactlyAsync(header.AsMemory(0, HandshakeCodec.PreambleSize), cancellationToken).ConfigureAwait(false);
        HandshakeCodec.CheckPreamble(header.AsSpan(0, HandshakeCodec.PreambleSize));
        await socket.ReceiveExactlyAsync(header.AsMemory(HandshakeCodec.PreambleSize), cancellationToken).ConfigureAwait(false);
        var length = HandshakeCodec.ReadMessageHeader(header.AsSpan(HandshakeCodec.PreambleSize), out var kind);
        var payload = new byte[length];
        await socket.ReceiveExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        return (kind, HandshakeCodec.Parse(kind, payload));
    }
}

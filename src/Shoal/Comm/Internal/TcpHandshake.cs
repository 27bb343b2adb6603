using System.Buffers;
using Google.Protobuf;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm.Internal;

/// <summary>
/// Runs the handshake over a fresh byte stream, reading exactly what it needs and never past it
/// (frames may follow right behind the last handshake message).
/// </summary>
internal static class TcpHandshake
{
    /// <summary>Connecting side: sends preamble + Hello, answers a challenge if asked, reads the verdict.</summary>
    public static async Task<PeerInfo> RunClientAsync(ByteChannel socket, string address, ConnectionOptions options, CancellationToken cancellationToken)
    {
        var hello = await Handshake.CreateHelloAsync(options, cancellationToken).ConfigureAwait(false);
        await SendAsync(socket, HandshakeKind.Hello, hello, withPreamble: true, cancellationToken).ConfigureAwait(false);
        var (kind, message) = await ReceiveAsync(socket, withPreamble: true, cancellationToken).ConfigureAwait(false);
        var wasChallenged = false;
        if (message is Welcome { Challenge.IsEmpty: false } challenged)
        {
            wasChallenged = true;
            var proof = await Handshake.AnswerChallengeAsync(address, hello, challenged, options, cancellationToken).ConfigureAwait(false);
            await SendAsync(socket, HandshakeKind.AuthProof, proof, withPreamble: false, cancellationToken).ConfigureAwait(false);
            (kind, message) = await ReceiveAsync(socket, withPreamble: false, cancellationToken).ConfigureAwait(false);
            if (message is Welcome { Challenge.IsEmpty: false })
                throw new ProtocolException($"{address} challenged the proof again");
        }
        switch (message)
        {
            case Welcome welcome:
                Handshake.CheckWelcome(address, hello, welcome, wasChallenged, options);
                return Handshake.PeerOf(welcome);
            case Refusal refusal:
                throw Handshake.Refused(address, refusal, options);
            default:
                throw new ProtocolException($"{address} answered the hello with an unexpected {kind} message");
        }
    }

    /// <summary>Accepting side: reads preamble + Hello, answers Welcome or Refusal (after a proof when it challenges). Throws when it refused.</summary>
    /// <param name="socket">The byte stream.</param>
    /// <param name="options">The listener's options.</param>
    /// <param name="provedRole">The role the transport proved (the TLS client certificate's), or Unspecified.</param>
    /// <param name="cancellationToken">Handshake timeout.</param>
    public static async Task<PeerInfo> RunServerAsync(ByteChannel socket, ListenerOptions options, Role provedRole, CancellationToken cancellationToken)
    {
        var (kind, message) = await ReceiveAsync(socket, withPreamble: true, cancellationToken).ConfigureAwait(false);
        if (message is not Hello hello)
            throw new ProtocolException($"expected a hello, got a {kind} message");
        var decision = provedRole != Role.Unspecified && !Security.CertificateRoles.MayClaim(provedRole, hello.Role)
            ? new Handshake.Decision(null, Handshake.CreateRefusal(
                $"a {RoleNames.Of(provedRole)} certificate may not connect as {RoleNames.Of(hello.Role)}", options))
            : await Handshake.DecideAsync(hello, options, cancellationToken).ConfigureAwait(false);
        var preambleSent = false;
        if (decision.Welcome is { Challenge.IsEmpty: false } challenged)
        {
            await SendAsync(socket, HandshakeKind.Welcome, challenged, withPreamble: true, cancellationToken).ConfigureAwait(false);
            preambleSent = true;
            try
            {
                (kind, message) = await ReceiveAsync(socket, withPreamble: false, cancellationToken).ConfigureAwait(false);
            }
            catch (ProtocolException ex) when (ex.Message.Contains("closed the connection", StringComparison.Ordinal))
            {
                // With a mutual proof, this is how a peer holding another token (or none that matches ours) leaves.
                throw new ProtocolException($"{ex.Message}, after our challenge and proof: it probably holds a different cluster's token, "
                    + $"so our proof did not convince it ({RoleNames.Of(hello.Role)} '{hello.Name}')", ex);
            }
            if (message is not AuthProof proof)
                throw new ProtocolException($"expected an authentication proof, got a {kind} message");
            decision = await Handshake.VerifyAsync(hello, challenged, proof, options, cancellationToken).ConfigureAwait(false);
        }
        if (decision.Refusal is { } refusal)
        {
            await SendAsync(socket, HandshakeKind.Refusal, refusal, !preambleSent, cancellationToken).ConfigureAwait(false);
            socket.ShutdownSend();
            throw Handshake.RefusedPeer(socket.RemoteAddress, hello, refusal);
        }
        await SendAsync(socket, HandshakeKind.Welcome, decision.Welcome!, !preambleSent, cancellationToken).ConfigureAwait(false);
        return Handshake.PeerOf(hello, decision.Welcome!);
    }

    /// <summary>Sends a preamble and a Refusal (to a peer that never got as far as a Hello we could parse).</summary>
    public static ValueTask SendRefusalAsync(ByteChannel socket, Refusal refusal, CancellationToken cancellationToken) =>
        SendAsync(socket, HandshakeKind.Refusal, refusal, withPreamble: true, cancellationToken);

    private static async ValueTask SendAsync(ByteChannel socket, HandshakeKind kind, IMessage message, bool withPreamble, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        HandshakeCodec.WriteMessage(buffer, kind, message, withPreamble);
        await socket.SendAsync(new ReadOnlySequence<byte>(buffer.WrittenMemory), cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<(HandshakeKind Kind, IMessage Message)> ReceiveAsync(ByteChannel socket, bool withPreamble, CancellationToken cancellationToken)
    {
        var header = new byte[Math.Max(HandshakeCodec.PreambleSize, HandshakeCodec.MessageHeaderSize)];
        if (withPreamble)
        {
            await socket.ReceiveExactlyAsync(header.AsMemory(0, HandshakeCodec.PreambleSize), cancellationToken).ConfigureAwait(false);
            // A TLS record (handshake 0x16, version 3.x) where a Shoal preamble belongs: say so plainly.
            if (header[0] == 0x16 && header[1] == 0x03)
                throw new ProtocolException("TLS on a plaintext port: this end speaks tcp:// (connect with tcp://, or give the listener SecurityOptions with certificates)");
            HandshakeCodec.CheckPreamble(header.AsSpan(0, HandshakeCodec.PreambleSize));
        }
        await socket.ReceiveExactlyAsync(header.AsMemory(0, HandshakeCodec.MessageHeaderSize), cancellationToken).ConfigureAwait(false);
        var length = HandshakeCodec.ReadMessageHeader(header.AsSpan(0, HandshakeCodec.MessageHeaderSize), out var kind);
        var payload = new byte[length];
        await socket.ReceiveExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        return (kind, HandshakeCodec.Parse(kind, payload));
    }
}

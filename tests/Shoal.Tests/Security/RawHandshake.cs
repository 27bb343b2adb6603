using System.Buffers;
using Google.Protobuf;
using Shoal.Protocol;

namespace Shoal.Tests.Security;

/// <summary>Reads and writes handshake messages by hand (for peers a real Shoal never is).</summary>
internal static class RawHandshake
{
    public static async Task WriteAsync(Stream stream, HandshakeKind kind, IMessage message, bool withPreamble)
    {
        var buffer = new ArrayBufferWriter<byte>();
        HandshakeCodec.WriteMessage(buffer, kind, message, withPreamble);
        await stream.WriteAsync(buffer.WrittenMemory);
    }

    public static async Task<IMessage> ReadAsync(Stream stream, bool withPreamble)
    {
        using var timeout = new CancellationTokenSource(SecurityTestKit.Patience);
        if (withPreamble) await stream.ReadExactlyAsync(new byte[HandshakeCodec.PreambleSize], timeout.Token);
        var header = new byte[HandshakeCodec.MessageHeaderSize];
        await stream.ReadExactlyAsync(header, timeout.Token);
        var payload = new byte[HandshakeCodec.ReadMessageHeader(header, out var kind)];
        await stream.ReadExactlyAsync(payload, timeout.Token);
        return HandshakeCodec.Parse(kind, payload);
    }
}

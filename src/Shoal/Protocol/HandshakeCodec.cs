using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using Shoal.Protocol.Messages;

namespace Shoal.Protocol;

/// <summary>Kinds of handshake messages (the byte after each handshake message's length).</summary>
internal enum HandshakeKind : byte
{
    /// <summary>Connecting side introduces itself.</summary>
    Hello = 1,
    /// <summary>Accepting side accepts.</summary>
    Welcome = 2,
    /// <summary>Accepting side refuses, with the reason.</summary>
    Refusal = 3,
    /// <summary>Reserved for token authentication (issue 4).</summary>
    AuthProof = 4,
}

/// <summary>
/// The handshake layout. Each side first sends a 6-byte preamble, <c>"SHOAL"</c> and the
/// handshake format version, then handshake messages, each <c>u32 LE length | kind byte | protobuf</c>
/// (the length counts the kind byte). The connecting side sends Hello; the accepting side answers
/// Welcome or Refusal. Frames follow a Welcome.
/// </summary>
internal static class HandshakeCodec
{
    /// <summary>Version of the handshake layout itself (not the protocol version, which Hello negotiates).</summary>
    public const byte FormatVersion = 1;

    /// <summary>Length of the preamble.</summary>
    public const int PreambleSize = 6;

    /// <summary>Length of a handshake message's header (length + kind).</summary>
    public const int MessageHeaderSize = 5;

    /// <summary>The preamble bytes.</summary>
    public static ReadOnlySpan<byte> Preamble => "SHOAL\u0001"u8;

    /// <summary>Checks a received preamble; throws <see cref="ProtocolException"/> when it is not Shoal's.</summary>
    public static void CheckPreamble(ReadOnlySpan<byte> received)
    {
        if (!received[..5].SequenceEqual("SHOAL"u8))
            throw new ProtocolException("not a Shoal peer (bad preamble)");
        if (received[5] != FormatVersion)
            throw new ProtocolException($"unsupported Shoal handshake format {received[5]} (this Shoal speaks format {FormatVersion})");
    }

    /// <summary>Reads a message header; returns the payload length (protobuf bytes) and kind.</summary>
    public static int ReadMessageHeader(ReadOnlySpan<byte> header, out HandshakeKind kind)
    {
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length < 1)
            throw new ProtocolException("empty handshake message");
        if (length > WireFormat.MaxHandshakeMessageSize)
            throw new ProtocolException($"handshake message of {length} bytes exceeds the limit of {WireFormat.MaxHandshakeMessageSize} bytes");
        kind = (HandshakeKind)header[4];
        return (int)length - 1;
    }

    /// <summary>Writes a handshake message (optionally behind the preamble).</summary>
    public static void WriteMessage(IBufferWriter<byte> output, HandshakeKind kind, IMessage message, bool withPreamble)
    {
        var size = message.CalculateSize();
        if (size + 1 > WireFormat.MaxHandshakeMessageSize)
            throw new ProtocolException($"handshake message of {size + 1} bytes exceeds the limit of {WireFormat.MaxHandshakeMessageSize} bytes");
        var total = (withPreamble ? PreambleSize : 0) + MessageHeaderSize + size;
        var span = output.GetSpan(total)[..total];
        var pos = 0;
        if (withPreamble)
        {
            Preamble.CopyTo(span);
            pos = PreambleSize;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[pos..], (uint)(size + 1));
        span[pos + 4] = (byte)kind;
        message.WriteTo(span.Slice(pos + MessageHeaderSize, size));
        output.Advance(total);
    }

    /// <summary>Parses a handshake message payload of the given kind.</summary>
    public static IMessage Parse(HandshakeKind kind, ReadOnlySpan<byte> payload)
    {
        try
        {
            return kind switch
            {
                HandshakeKind.Hello => Hello.Parser.ParseFrom(payload),
                HandshakeKind.Welcome => Welcome.Parser.ParseFrom(payload),
                HandshakeKind.Refusal => Refusal.Parser.ParseFrom(payload),
                HandshakeKind.AuthProof => AuthProof.Parser.ParseFrom(payload),
                _ => throw new ProtocolException($"unknown handshake message kind {(byte)kind}"),
            };
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            // Google.Protobuf lets some malformed inputs escape as range exceptions (found by the fuzzer).
            throw new ProtocolException($"malformed handshake {kind} message: {ex.Message}", ex);
        }
    }
}

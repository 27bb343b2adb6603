using System.Buffers.Binary;

namespace Shoal.Protocol;

/// <summary>Constants and small helpers of the frame and handshake layouts.</summary>
internal static class WireFormat
{
    /// <summary>u32 frame length + u32 batch length.</summary>
    public const int FrameHeaderSize = 8;

    /// <summary>Default maximum frame size: 2 GiB - 1.</summary>
    public const long DefaultMaxFrameSize = int.MaxValue;

    /// <summary>Largest handshake message accepted (Hello, Welcome, Refusal, AuthProof).</summary>
    public const int MaxHandshakeMessageSize = 64 * 1024;

    /// <summary>Received segments at least this big get their own array; smaller ones share one per frame.</summary>
    public const int OwnArraySegmentThreshold = 64 * 1024;

    /// <summary>Bytes of a base-128 varint.</summary>
    public static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80) { value >>= 7; size++; }
        return size;
    }

    /// <summary>Writes a base-128 varint; returns the bytes written.</summary>
    public static int WriteVarint(Span<byte> span, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        return i;
    }

    /// <summary>Writes a little-endian u32.</summary>
    public static void WriteUInt32(Span<byte> span, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(span, value);
}

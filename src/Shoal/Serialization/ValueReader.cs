using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Shoal.Protocol;

namespace Shoal.Serialization;

/// <summary>Reads what <see cref="ValueWriter"/> wrote: the inline bytes, then out-of-band segments in order.</summary>
internal ref struct ValueReader
{
    private readonly ReadOnlySpan<byte> _inline;
    private readonly ReadOnlySpan<Segment> _segments;
    private int _position;
    private int _nextSegment;

    public ValueReader(ReadOnlySpan<byte> inline, ReadOnlySpan<Segment> outOfBand)
    {
        _inline = inline;
        _segments = outOfBand;
        _position = 0;
        _nextSegment = 0;
    }

    public readonly int Remaining => _inline.Length - _position;

    public readonly int SegmentsConsumed => _nextSegment;

    /// <summary>Out-of-band segments not read yet.</summary>
    public readonly int SegmentsRemaining => _segments.Length - _nextSegment;

    public byte ReadByte()
    {
        if (_position >= _inline.Length) throw Truncated();
        return _inline[_position++];
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || _inline.Length - _position < count) throw Truncated();
        var span = _inline.Slice(_position, count);
        _position += count;
        return span;
    }

    public ulong ReadVarUInt64()
    {
        ulong result = 0;
        var shift = 0;
        while (true)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
            shift += 7;
            if (shift > 63) throw new ValueSerializationException("malformed value: varint too long");
        }
    }

    public int ReadVarInt32()
    {
        var v = ReadVarUInt64();
        if (v > int.MaxValue) throw new ValueSerializationException("malformed value: length out of range");
        return (int)v;
    }

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8));

    public T ReadRaw<T>() where T : unmanaged =>
        MemoryMarshal.Read<T>(ReadBytes(System.Runtime.CompilerServices.Unsafe.SizeOf<T>()));

    public string ReadString()
    {
        var n = ReadVarInt32();
        return Encoding.UTF8.GetString(ReadBytes(n));
    }

    public Segment ReadSegment()
    {
        if (_nextSegment >= _segments.Length)
            throw new ValueSerializationException("malformed value: fewer payload segments than the value references");
        return _segments[_nextSegment++];
    }

    private static ValueSerializationException Truncated() => new("malformed value: truncated");
}

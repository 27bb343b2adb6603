using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Shoal.Protocol;

namespace Shoal.Serialization;

/// <summary>
/// Appends the inline part of a serialized value to a growable buffer and collects the
/// out-of-band segments (array memory) beside it. One per thread, reused.
/// </summary>
internal sealed class ValueWriter : IBufferWriter<byte>
{
    [ThreadStatic] private static ValueWriter? _cached;

    private byte[] _buffer = new byte[256];
    private int _position;

    public List<Segment> OutOfBand { get; } = new();

    /// <summary>
    /// While a function is written: the closure fields it (and every closure delegate it reaches)
    /// uses, applied to every closure object in this write, since nested delegates may share them.
    /// </summary>
    public IReadOnlySet<(System.Reflection.Module, int)>? ClosureFilter { get; set; }

    /// <summary>True while a function's write has set <see cref="ClosureFilter"/>.</summary>
    public bool ClosureFilterActive { get; set; }

    /// <summary>Bytes of array payload referenced out of band (for Nbytes).</summary>
    public long OutOfBandBytes { get; set; }

    public int Position => _position;

    /// <summary>Closure objects written so far and their reference ids (closures may share or cycle).</summary>
    public Dictionary<object, int> Objects { get; } = new(ReferenceEqualityComparer.Instance);

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _position);

    /// <summary>Takes this thread's writer (or a fresh one if it is in use).</summary>
    public static ValueWriter Rent()
    {
        var w = _cached;
        if (w is null) return new ValueWriter();
        _cached = null;
        return w;
    }

    /// <summary>Returns a writer taken with <see cref="Rent"/>.</summary>
    public static void Return(ValueWriter writer)
    {
        writer._position = 0;
        writer.OutOfBand.Clear();
        writer.OutOfBandBytes = 0;
        writer.Objects.Clear();
        if (writer._buffer.Length > 1 << 20) writer._buffer = new byte[256];
        _cached = writer;
    }

    public byte[] ToArray() => Written.ToArray();

    public void Advance(int count) => _position += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 16));
        return _buffer.AsMemory(_position);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 16));
        return _buffer.AsSpan(_position);
    }

    private void Ensure(int count)
    {
        if (_buffer.Length - _position >= count) return;
        var size = Math.Max(_buffer.Length * 2, _position + count);
        Array.Resize(ref _buffer, size);
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_position++] = value;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_position));
        _position += bytes.Length;
    }

    public void WriteVarUInt64(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[_position++] = (byte)value;
    }

    public void WriteVarInt32(int value) => WriteVarUInt64((uint)value);

    public void WriteInt32(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    public void WriteInt64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_position), value);
        _position += 8;
    }

    /// <summary>Writes any unmanaged value as its raw little-endian memory.</summary>
    public void WriteRaw<T>(T value) where T : unmanaged
    {
        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        Ensure(size);
        System.Runtime.InteropServices.MemoryMarshal.Write(_buffer.AsSpan(_position), in value);
        _position += size;
    }

    public void WriteString(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max < 128)
        {
            // Short string: one pass, length fits one varint byte.
            Ensure(1 + max);
            var n = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position + 1));
            _buffer[_position] = (byte)n;
            _position += 1 + n;
            return;
        }
        var count = Encoding.UTF8.GetByteCount(value);
        WriteVarInt32(count);
        Ensure(count);
        Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position));
        _position += count;
    }

    /// <summary>Reserves 4 bytes for a length written later with <see cref="PatchInt32"/>.</summary>
    public int ReserveInt32()
    {
        Ensure(4);
        var at = _position;
        _position += 4;
        return at;
    }

    public void PatchInt32(int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(at), value);

    /// <summary>Appends an out-of-band segment; readers consume them in the order written.</summary>
    public void AddSegment(ReadOnlyMemory<byte> bytes) => OutOfBand.Add(new Segment(bytes));
}

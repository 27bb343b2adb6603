using System.Buffers.Binary;

namespace Shoal.Protocol;

/// <summary>
/// The small descriptor segment sent right before each out-of-band chunk of a big one-dimensional
/// array of a primitive element type: it tells a receiver, before the body's first byte arrives,
/// which array the body belongs in (element type, element count, where the chunk starts), so the
/// body can be received straight into the array the value will be (see <see cref="ReceivedArrays"/>)
/// instead of into bytes that are copied afterwards.
/// Layout (24 bytes, little-endian): magic "SHAR", element code (1 byte), 3 zero bytes,
/// element count (int64), chunk byte offset (int64).
/// Only the element types of a fixed table have codes, all of them plain memory: bytes from the
/// wire never become managed references, whatever a peer writes here.
/// </summary>
internal static class UnmanagedArrayFormat
{
    /// <summary>Length of a descriptor segment.</summary>
    public const int DescriptorSize = 24;

    /// <summary>Arrays with at least this many payload bytes are described (the size from which received segments get their own array).</summary>
    public const int DescribedThreshold = WireFormat.OwnArraySegmentThreshold;

    private const uint Magic = 0x52414853; // "SHAR"

    // Code = index; 0 is "none". Every type here is a primitive: any bit pattern is a valid value.
    private static readonly Type[] Elements =
    [
        null!, typeof(byte), typeof(sbyte), typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(long),
        typeof(ulong), typeof(float), typeof(double), typeof(char), typeof(Half), typeof(Int128), typeof(UInt128), typeof(bool),
    ];

    private static readonly Func<int, Array>[] Allocators =
    [
        null!, Allocate<byte>, Allocate<sbyte>, Allocate<short>, Allocate<ushort>, Allocate<int>, Allocate<uint>, Allocate<long>,
        Allocate<ulong>, Allocate<float>, Allocate<double>, Allocate<char>, Allocate<Half>, Allocate<Int128>, Allocate<UInt128>, Allocate<bool>,
    ];

    private static readonly int[] Sizes = [.. Elements.Select(t => t is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.SizeOf(t.TypeHandle))];

    private static Array Allocate<T>(int length) => GC.AllocateUninitializedArray<T>(length);

    /// <summary>The code of <paramref name="element"/>, or 0 when arrays of it are not described.</summary>
    public static byte CodeOf(Type element)
    {
        for (var i = 1; i < Elements.Length; i++)
            if (Elements[i] == element) return (byte)i;
        return 0;
    }

    /// <summary>True when <paramref name="array"/> travels with descriptors: one-dimensional, a described element type, big enough.</summary>
    public static bool IsDescribed(Array array, long byteLength) =>
        byteLength >= DescribedThreshold && array.GetType().IsSZArray && CodeOf(array.GetType().GetElementType()!) != 0;

    /// <summary>A descriptor for the chunk of <paramref name="array"/> that starts at <paramref name="chunkOffset"/> bytes.</summary>
    public static byte[] Descriptor(Array array, long chunkOffset)
    {
        var bytes = new byte[DescriptorSize];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        bytes[4] = CodeOf(array.GetType().GetElementType()!);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), array.LongLength);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), chunkOffset);
        return bytes;
    }

    /// <summary>A descriptor read back; false for anything else (wrong size or magic, unknown code, counts out of range).</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out byte code, out int count, out long chunkOffset)
    {
        code = 0;
        count = 0;
        chunkOffset = 0;
        if (bytes.Length != DescriptorSize || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic) return false;
        if (bytes[4] == 0 || bytes[4] >= Elements.Length || bytes[5] != 0 || bytes[6] != 0 || bytes[7] != 0) return false;
        var n = BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
        var offset = BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]);
        if (n < 0 || n > Array.MaxLength || offset < 0 || offset > n * Sizes[bytes[4]]) return false;
        code = bytes[4];
        count = (int)n;
        chunkOffset = offset;
        return true;
    }

    /// <summary>The element type of <paramref name="code"/> (a valid code).</summary>
    public static Type ElementOf(byte code) => Elements[code];

    /// <summary>Bytes per element of <paramref name="code"/> (a valid code).</summary>
    public static int SizeOf(byte code) => Sizes[code];

    /// <summary>A new, not zeroed array of <paramref name="count"/> elements of <paramref name="code"/> (a valid code).</summary>
    public static Array Allocate(byte code, int count) => Allocators[code](count);
}

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Shoal.Protocol;

/// <summary>
/// Exposes a slice of an array of unmanaged elements as bytes without copying; holding the
/// memory keeps the array alive. The array must not be changed until the bytes are sent.
/// </summary>
/// <param name="array">The array (of unmanaged elements).</param>
/// <param name="byteOffset">Where the slice starts, in bytes.</param>
/// <param name="byteLength">The slice's length in bytes.</param>
/// <param name="received">True when a frame decoder received a segment into the array (see <see cref="ReceivedArrays"/>).</param>
internal sealed unsafe class ArrayMemoryManager(Array array, long byteOffset, int byteLength, bool received = false) : MemoryManager<byte>
{
    private int _taken;

    public Array Array { get; } = array;

    /// <summary>Where this memory starts in the array, in bytes.</summary>
    public long ByteOffset { get; } = byteOffset;

    /// <summary>The bytes were received into the array from the wire, and the array may become the value itself.</summary>
    public bool Received { get; } = received;

    /// <summary>Claims the array for one deserialized value: true the first time only, so two reads of the same bytes never share an array.</summary>
    public bool TryTake() => Received && Interlocked.Exchange(ref _taken, 1) == 0;

    public override Span<byte> GetSpan() =>
        MemoryMarshal.CreateSpan(ref Unsafe.AddByteOffset(ref MemoryMarshal.GetArrayDataReference(Array), (nint)ByteOffset), byteLength);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        var handle = GCHandle.Alloc(Array, GCHandleType.Pinned);
        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Array));
        return new MemoryHandle(start + ByteOffset + elementIndex, handle, this);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing) { }
}

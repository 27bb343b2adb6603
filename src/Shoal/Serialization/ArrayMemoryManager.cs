using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Shoal.Serialization;

/// <summary>
/// Exposes a slice of an array of unmanaged elements as bytes without copying; holding the
/// memory keeps the array alive. The array must not be changed until the bytes are sent.
/// </summary>
internal sealed unsafe class ArrayMemoryManager(Array array, long byteOffset, int byteLength) : MemoryManager<byte>
{
    public Array Array { get; } = array;

    public override Span<byte> GetSpan() =>
        MemoryMarshal.CreateSpan(ref Unsafe.AddByteOffset(ref MemoryMarshal.GetArrayDataReference(Array), (nint)byteOffset), byteLength);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        var handle = GCHandle.Alloc(Array, GCHandleType.Pinned);
        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Array));
        return new MemoryHandle(start + byteOffset + elementIndex, handle, this);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing) { }
}

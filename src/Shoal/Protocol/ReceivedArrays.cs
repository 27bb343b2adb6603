using System.Runtime.InteropServices;

namespace Shoal.Protocol;

/// <summary>
/// The receiving half of <see cref="UnmanagedArrayFormat"/>: when a frame decoder is about to
/// receive a segment that follows an array descriptor, it gets the bytes of a new array of the
/// described element type and length (or of the array a previous chunk started), so the 1 GB
/// body of a <c>double[]</c> lands once, in the <c>double[]</c> the task gets: no second
/// fresh gigabyte to fault in and copy into. <see cref="TryTake"/> then hands that array to
/// the value reader (<c>Serialization.ValueFormat</c>) when the value's own header agrees with it. A descriptor is only a
/// hint: a wrong or hostile one costs a copy, never a wrong value, and allocates no more than the
/// frame's remaining bytes.
/// </summary>
internal sealed class ReceivedArrays : ISegmentTargets
{
    private Array? _current; // an array whose later chunks are still to come
    private long _next;      // the byte offset its next chunk must start at

    /// <inheritdoc />
    public void FrameStarted() => _current = null;

    /// <inheritdoc />
    public Memory<byte> TargetFor(ReadOnlySpan<byte> previous, int length, long frameBytesLeft)
    {
        if (!UnmanagedArrayFormat.TryRead(previous, out var code, out var count, out var offset)) return default;
        var total = (long)count * UnmanagedArrayFormat.SizeOf(code);
        if (length <= 0 || offset + length > total || total - offset > frameBytesLeft) return default;
        Array array;
        if (offset == 0)
            array = UnmanagedArrayFormat.Allocate(code, count);
        else if (_current is { } current && _next == offset && current.Length == count
                 && current.GetType().GetElementType() == UnmanagedArrayFormat.ElementOf(code))
            array = current;
        else
            return default;
        _next = offset + length;
        _current = _next < total ? array : null;
        return new ArrayMemoryManager(array, offset, length, received: true).Memory;
    }

    /// <summary>
    /// The array that <paramref name="chunks"/> (a value's out-of-band chunks, in order) were
    /// received into, when they cover exactly a one-dimensional array of <paramref name="element"/>
    /// with <paramref name="count"/> elements and no other read took it yet.
    /// </summary>
    public static bool TryTake(ReadOnlySpan<Segment> chunks, Type element, int count, out Array? array)
    {
        array = null;
        ArrayMemoryManager? first = null;
        long offset = 0;
        foreach (var chunk in chunks)
        {
            if (!MemoryMarshal.TryGetMemoryManager(chunk.Bytes, out ArrayMemoryManager? manager, out var start, out _)
                || !manager.Received || start != 0 || manager.ByteOffset != offset || (first is not null && manager.Array != first.Array))
                return false;
            first ??= manager;
            offset += chunk.Length;
        }
        if (first is null) return false;
        var candidate = first.Array;
        var type = candidate.GetType();
        if (!type.IsSZArray || type.GetElementType() != element || candidate.Length != count
            || offset != (long)count * System.Runtime.CompilerServices.RuntimeHelpers.SizeOf(element.TypeHandle) || !first.TryTake())
            return false;
        array = candidate;
        return true;
    }
}

using Shoal.Protocol;

namespace Shoal.Serialization;

// Unmanaged arrays, both ways: raw memory, large ones out of band in chunks of at most 1 GiB (with a
// descriptor when a receiver may land them straight into their array: UnmanagedArrayFormat).
internal static partial class ValueFormat
{
    private static void WriteUnmanagedArray(ValueWriter w, Array array)
    {
        var type = array.GetType();
        var element = type.GetElementType()!;
        w.WriteByte((byte)ValueTag.UnmanagedArray);
        TypeIdentity.Write(w, element);
        if (type.IsSZArray)
        {
            w.WriteByte(0);
            w.WriteVarInt32(array.Length);
        }
        else
        {
            w.WriteByte((byte)array.Rank);
            for (var d = 0; d < array.Rank; d++)
            {
                if (array.GetLowerBound(d) != 0)
                    throw new ValueSerializationException($"arrays with non-zero lower bounds are not supported ({TypeIdentity.DisplayName(type)})", type);
                w.WriteVarInt32(array.GetLength(d));
            }
        }
        var byteLength = array.LongLength * UnmanagedTypes.SizeOf(element);
        w.OutOfBandBytes += byteLength;
        if (byteLength < OutOfBandThreshold)
        {
            w.WriteByte(0);
            w.WriteBytes(UnmanagedTypes.AsBytes(array, byteLength));
            return;
        }
        var chunks = (int)((byteLength + MaxChunk - 1) / MaxChunk);
        w.WriteVarInt32(chunks);
        // Big one-dimensional arrays: each chunk after a descriptor, so the receiver can land it in the final array.
        var described = UnmanagedArrayFormat.IsDescribed(array, byteLength);
        w.WriteByte(described ? (byte)1 : (byte)0);
        for (long offset = 0; offset < byteLength; offset += MaxChunk)
        {
            var length = (int)Math.Min(MaxChunk, byteLength - offset);
            if (described) w.AddSegment(UnmanagedArrayFormat.Descriptor(array, offset));
            w.AddSegment(new ArrayMemoryManager(array, offset, length).Memory);
        }
    }

    private static Array ReadUnmanagedArray(ref ValueReader r, ReadContext context)
    {
        var element = TypeIdentity.Read(ref r, context.Resolver);
        // Raw bytes become this array's memory: never for an element type that holds references.
        if (!UnmanagedTypes.IsUnmanaged(element))
            throw new ValueSerializationException(
                $"refused a raw array of {TypeIdentity.DisplayName(element)}: its elements hold references, and raw bytes never become references", element);
        int rank = r.ReadByte();
        int[]? lengths = null;
        long count;
        if (rank == 0)
            count = r.ReadVarInt32();
        else
        {
            lengths = new int[rank];
            count = 1;
            for (var d = 0; d < rank; d++)
            {
                lengths[d] = r.ReadVarInt32();
                count = checked(count * lengths[d]);
            }
            if (count > Array.MaxLength) throw new ValueSerializationException($"malformed value: an array of {count} elements");
        }
        var byteLength = checked(count * UnmanagedTypes.SizeOf(element));
        var chunks = r.ReadVarInt32();
        if (chunks == 0)
        {
            if (byteLength > r.Remaining) throw new ValueSerializationException("malformed value: truncated");
            var inline = Allocate(element, count, lengths);
            r.ReadBytes((int)byteLength).CopyTo(UnmanagedTypes.AsBytes(inline, byteLength));
            return inline;
        }
        var described = r.ReadByte() switch
        {
            0 => false,
            1 => true,
            var b => throw new ValueSerializationException($"malformed value: array layout {b}"),
        };
        // Check the payload's size before allocating anything for it.
        if ((long)chunks * (described ? 2 : 1) > r.SegmentsRemaining)
            throw new ValueSerializationException("malformed value: fewer payload segments than the value references");
        var bodies = new Protocol.Segment[chunks];
        long total = 0;
        for (var c = 0; c < chunks; c++)
        {
            if (described) r.ReadSegment(); // the descriptor: used by the frame decoder, nothing to check here
            bodies[c] = r.ReadSegment();
            total += bodies[c].Length;
        }
        var typeName = lengths is null ? element.Name + "[]" : element.Name + "[" + new string(',', rank - 1) + "]";
        if (total != byteLength)
            throw new ValueSerializationException($"malformed value: {typeName} payload is {total} bytes, expected {byteLength}");
        if (lengths is null && ReceivedArrays.TryTake(bodies, element, (int)count, out var received)) return received!;
        var array = Allocate(element, count, lengths);
        long offset = 0;
        foreach (var body in bodies)
        {
            body.Bytes.Span.CopyTo(UnmanagedTypes.AsBytes(array, offset, body.Length));
            offset += body.Length;
        }
        return array;
    }

    private static Array Allocate(Type element, long count, int[]? lengths) =>
        lengths is null ? UnmanagedTypes.AllocateUninitialized(element, (int)count) : Array.CreateInstance(element, lengths);
}

using Shoal.Protocol;

namespace Shoal.Serialization;

/// <summary>
/// Turns values into payload segments and back. Primitives, decimal, dates, Guid and strings are
/// raw little-endian memory; arrays of unmanaged elements are raw memory, the large ones as a
/// segment that references the array itself (no copy); tuples, arrays, lists, dictionaries and
/// sets recurse; anything else goes through a user codec (<see cref="ValueCodecRegistry"/>) or
/// System.Text.Json, tagged with its type identity so that the reader loads the type from the
/// right code context.
/// </summary>
internal sealed class ValueSerializer
{
    /// <summary>A serializer with no registered codecs (types' <see cref="ValueCodecAttribute"/> codecs only); stateless, so shared.</summary>
    public static ValueSerializer Default { get; } = new(ValueCodecRegistry.AttributesOnly);

    /// <summary>Creates a serializer with its own codecs (a new, empty registry when none is given).</summary>
    public ValueSerializer(ValueCodecRegistry? codecs = null) => Codecs = codecs ?? new ValueCodecRegistry();

    /// <summary>The codecs this serializer uses.</summary>
    public ValueCodecRegistry Codecs { get; }

    /// <summary>Serializes <paramref name="value"/>.</summary>
    /// <exception cref="ValueSerializationException">The value (or something inside it) cannot be serialized; the message names its type.</exception>
    public SerializedValue Serialize(object? value)
    {
        var w = ValueWriter.Rent();
        try
        {
            ValueFormat.Write(w, value, Codecs);
            var segments = new Segment[1 + w.OutOfBand.Count];
            segments[0] = w.ToArray();
            long total = segments[0].Length;
            for (var i = 0; i < w.OutOfBand.Count; i++)
            {
                segments[i + 1] = w.OutOfBand[i];
                total += w.OutOfBand[i].Length;
            }
            var nbytes = value is Array { } array && ValueKinds.Of(array.GetType()).Kind == ValueKind.UnmanagedArray ? w.OutOfBandBytes : total;
            return new SerializedValue(segments, nbytes, value is null ? "null" : TypeIdentity.DisplayName(value.GetType()));
        }
        finally
        {
            ValueWriter.Return(w);
        }
    }

    /// <summary>
    /// Reads a value back. A single object segment (in-process transport) is the value itself.
    /// Types are resolved through <paramref name="resolver"/> (default: the default load context).
    /// </summary>
    public object? Deserialize(ReadOnlySpan<Segment> segments, TypeResolver? resolver = null)
    {
        if (segments.Length == 0) throw new ValueSerializationException("cannot deserialize a value from zero segments");
        if (segments[0].IsObject) return segments[0].Object;
        var reader = new ValueReader(segments[0].Bytes.Span, segments[1..]);
        var value = ValueFormat.Read(ref reader, new ReadContext(resolver ?? TypeResolver.Default, Codecs));
        if (reader.Remaining != 0)
            throw new ValueSerializationException($"malformed value: {reader.Remaining} bytes left after the value");
        return value;
    }

    /// <summary>Reads a value back as <typeparamref name="T"/>.</summary>
    public T Deserialize<T>(ReadOnlySpan<Segment> segments, TypeResolver? resolver = null) => (T)Deserialize(segments, resolver)!;

    /// <summary>
    /// The size of a value without serializing it where that is cheap: exact for primitives,
    /// strings and arrays of unmanaged elements, summed over containers, serialized size otherwise.
    /// For in-process stores that never serialize their values.
    /// </summary>
    public long EstimateNbytes(object? value) => SizeEstimator.Estimate(value, this, long.MaxValue);
}

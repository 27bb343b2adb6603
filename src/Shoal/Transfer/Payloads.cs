using Shoal.Protocol;
using Shoal.Serialization;

namespace Shoal.Transfer;

/// <summary>A value ready to travel: its segments, measured size and type name.</summary>
/// <param name="Segments">Bytes, or one object segment in-process.</param>
/// <param name="Nbytes">Its size (exact for arrays, serialized size otherwise, an estimate in-process).</param>
/// <param name="TypeName">The value's type, for diagnostics and the dashboard.</param>
internal sealed record EncodedValue(Segment[] Segments, long Nbytes, string TypeName);

/// <summary>
/// Values on the wire for the client and worker servers: by reference inside one process,
/// through <see cref="ValueSerializer"/> across processes.
/// </summary>
internal static class Payloads
{
    public static EncodedValue Encode(object? value, bool byReference)
    {
        if (byReference) return new EncodedValue([Segment.FromObject(value)], SizeOf(value), TypeNameOf(value));
        var serialized = ValueSerializer.Default.Serialize(value);
        return new EncodedValue(serialized.Segments, serialized.Nbytes, serialized.TypeName);
    }

    public static object? Decode(ReadOnlySpan<Segment> segments, Type? expected = null, TypeResolver? resolver = null)
    {
        if (segments.Length == 1 && segments[0].IsObject) return segments[0].Object;
        return ValueSerializer.Default.Deserialize(segments, resolver);
    }

    /// <summary>Measured size: exact for arrays, strings and primitives; serialized size for other values.</summary>
    public static long SizeOf(object? value) => SizeEstimator.Estimate(value, ValueSerializer.Default, long.MaxValue);

    public static string TypeNameOf(object? value) => value?.GetType().FullName ?? "null";
}

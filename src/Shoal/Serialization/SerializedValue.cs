using Shoal.Protocol;

namespace Shoal.Serialization;

/// <summary>A value in its wire form: one or more payload segments plus its measured size.</summary>
internal readonly struct SerializedValue
{
    /// <summary>Creates a serialized value.</summary>
    public SerializedValue(Segment[] segments, long nbytes, string typeName)
    {
        Segments = segments;
        Nbytes = nbytes;
        TypeName = typeName;
    }

    /// <summary>
    /// The segments, in order. The first holds the header and every inline value; arrays of
    /// unmanaged types ride as further segments that reference the array's own memory.
    /// </summary>
    public Segment[] Segments { get; }

    /// <summary>
    /// Size of the value: the payload byte size for an array of unmanaged elements,
    /// otherwise the total length of all segments.
    /// </summary>
    public long Nbytes { get; }

    /// <summary>A readable name of the value's type (for dashboards and messages).</summary>
    public string TypeName { get; }
}

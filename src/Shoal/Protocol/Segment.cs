namespace Shoal.Protocol;

/// <summary>
/// One raw payload segment that travels beside the protobuf messages of a frame.
/// Over a byte stream it is <see cref="Bytes"/>; over the in-process transport it may instead be
/// an <see cref="Object"/> reference, so that an in-process cluster never serialises values.
/// </summary>
internal readonly struct Segment
{
    /// <summary>Creates a byte segment.</summary>
    public Segment(ReadOnlyMemory<byte> bytes) { Bytes = bytes; Object = null; }

    /// <summary>Creates an object segment (in-process transport only).</summary>
    public Segment(object? value, bool isObject) { Bytes = default; Object = value; IsObject = isObject; }

    /// <summary>The raw bytes (empty for an object segment).</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The object carried by reference (null for a byte segment, or a null value).</summary>
    public object? Object { get; }

    /// <summary>True when this segment carries an object reference rather than bytes.</summary>
    public bool IsObject { get; }

    /// <summary>Length in bytes on the wire (0 for an object segment).</summary>
    public int Length => Bytes.Length;

    /// <summary>Wraps an object reference.</summary>
    public static Segment FromObject(object? value) => new(value, true);

    /// <summary>Wraps bytes.</summary>
    public static implicit operator Segment(byte[] bytes) => new(bytes);

    /// <summary>Wraps bytes.</summary>
    public static implicit operator Segment(ReadOnlyMemory<byte> bytes) => new(bytes);
}

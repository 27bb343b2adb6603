namespace Shoal.Serialization;

/// <summary>
/// A dictionary key over a byte sequence, compared by content. Lookups wrap the bytes being read
/// without copying; only keys that are stored are copied (<see cref="Detach"/>).
/// </summary>
internal readonly struct ByteKey : IEquatable<ByteKey>
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly int _hash;

    public ByteKey(ReadOnlyMemory<byte> bytes)
    {
        _bytes = bytes;
        var h = new HashCode();
        h.AddBytes(bytes.Span);
        _hash = h.ToHashCode();
    }

    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>A copy that owns its bytes, safe to store.</summary>
    public ByteKey Detach() => new(_bytes.ToArray());

    public bool Equals(ByteKey other) => _hash == other._hash && _bytes.Span.SequenceEqual(other._bytes.Span);

    public override bool Equals(object? obj) => obj is ByteKey k && Equals(k);

    public override int GetHashCode() => _hash;
}

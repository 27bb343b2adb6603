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
        _hash = HashOf(bytes.Span);
    }

    public static int HashOf(ReadOnlySpan<byte> bytes)
    {
        var h = new HashCode();
        h.AddBytes(bytes);
        return h.ToHashCode();
    }

    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>A copy that owns its bytes, safe to store.</summary>
    public ByteKey Detach() => new(_bytes.ToArray());

    public bool Equals(ByteKey other) => _hash == other._hash && _bytes.Span.SequenceEqual(other._bytes.Span);

    public override bool Equals(object? obj) => obj is ByteKey k && Equals(k);

    public override int GetHashCode() => _hash;
}

/// <summary>Compares <see cref="ByteKey"/>s, and lets a dictionary be probed with a span (no key allocation).</summary>
internal sealed class ByteKeyComparer : IEqualityComparer<ByteKey>, IAlternateEqualityComparer<ReadOnlySpan<byte>, ByteKey>
{
    public static ByteKeyComparer Instance { get; } = new();

    public bool Equals(ByteKey x, ByteKey y) => x.Equals(y);

    public int GetHashCode(ByteKey obj) => obj.GetHashCode();

    public bool Equals(ReadOnlySpan<byte> alternate, ByteKey other) => alternate.SequenceEqual(other.Bytes.Span);

    public int GetHashCode(ReadOnlySpan<byte> alternate) => ByteKey.HashOf(alternate);

    public ByteKey Create(ReadOnlySpan<byte> alternate) => new(alternate.ToArray());
}

namespace Shoal.Execution;

/// <summary>
/// Counts the bytes of values a worker let go of and says when a full collection is worth it:
/// a released 1 GB array is garbage on the large object heap until the next gen-2 collection,
/// which the runtime may not start before the next 1 GB arrives, so repeated big transfers would
/// pile up in the process (and a collection in the middle of the next transfer is what it pays
/// otherwise). Collecting after every <see cref="DefaultThreshold"/> released keeps that garbage
/// bounded; small values never add up to a collection often.
/// </summary>
/// <param name="threshold">Bytes released between two collections.</param>
internal sealed class ReleasedMemory(long threshold)
{
    /// <summary>256 MiB.</summary>
    public const long DefaultThreshold = 256L << 20;

    private long _since;

    /// <summary>Counts <paramref name="bytes"/> released; true when a collection is due (the count starts again).</summary>
    public bool Add(long bytes)
    {
        if (bytes <= 0) return false;
        _since += bytes;
        if (_since < threshold) return false;
        _since = 0;
        return true;
    }
}

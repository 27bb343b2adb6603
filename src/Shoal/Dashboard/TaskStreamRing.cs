namespace Shoal.Dashboard;

/// <summary>What happened to one task, as the scheduler loop saw it.</summary>
internal enum TaskStreamKind : byte
{
    /// <summary>A worker finished the task.</summary>
    Done,
    /// <summary>The task failed on a worker.</summary>
    Erred,
    /// <summary>A worker fetched dependencies from a peer (Key: the peer's address).</summary>
    Transfer,
    /// <summary>A worker spilled results to disk over an interval (Key: "spill").</summary>
    Spill,
}

/// <summary>
/// One entry of the <see cref="TaskStreamRing"/>. Holds the key string the scheduler already has
/// (a reference, not a copy), the worker's own start/stop clock and the scheduler's receive time.
/// </summary>
internal struct TaskStreamEvent
{
    public string Key;
    public int Worker;
    public TaskStreamKind Kind;
    /// <summary>Start and stop on the worker's clock (seconds).</summary>
    public double Start, Stop;
    /// <summary>When the scheduler received the report (scheduler clock, seconds).</summary>
    public double Received;
    public long Nbytes;
}

/// <summary>
/// A fixed-size ring of task events written by ONE thread (the scheduler loop) and read by ONE
/// other (the dashboard's aggregator). The writer never waits, locks or allocates: it overwrites
/// the oldest entry, so a reader that falls behind loses events (counted) instead of slowing the
/// scheduler. The reader detects entries overwritten while it copied them by re-reading the write
/// counter afterwards, and drops those (a seqlock over the whole ring).
/// </summary>
internal sealed class TaskStreamRing
{
    private readonly TaskStreamEvent[] _entries;
    private readonly int _mask;
    private long _written;

    /// <param name="capacity">Entries kept; rounded up to a power of two.</param>
    public TaskStreamRing(int capacity = 1 << 16)
    {
        int size = 1;
        while (size < capacity) size <<= 1;
        _entries = new TaskStreamEvent[size];
        _mask = size - 1;
    }

    /// <summary>Entries the ring holds.</summary>
    public int Capacity => _entries.Length;

    /// <summary>Events written so far (also the sequence number of the next one).</summary>
    public long Written => Volatile.Read(ref _written);

    /// <summary>Writer side (the scheduler loop only): appends one event, overwriting the oldest.</summary>
    public void Write(string key, int worker, TaskStreamKind kind, double start, double stop, double received, long nbytes)
    {
        long seq = _written;
        ref var e = ref _entries[seq & _mask];
        e.Key = key;
        e.Worker = worker;
        e.Kind = kind;
        e.Start = start;
        e.Stop = stop;
        e.Received = received;
        e.Nbytes = nbytes;
        // Publish after the entry is complete: a reader that sees the new count sees the entry.
        Volatile.Write(ref _written, seq + 1);
    }

    /// <summary>
    /// Reader side (one reader): copies the events from <paramref name="cursor"/> on into
    /// <paramref name="into"/> (at most its length) and advances the cursor past what it read or
    /// lost. Returns how many were copied; <paramref name="lost"/> counts events overwritten
    /// before they could be read.
    /// </summary>
    public int Read(ref long cursor, Span<TaskStreamEvent> into, out long lost)
    {
        lost = 0;
        long end = Volatile.Read(ref _written);
        // The reader trusts capacity - 1 entries: the slot of the next write may be half written.
        long oldest = end - _entries.Length + 1;
        if (cursor < oldest)
        {
            lost = oldest - cursor;
            cursor = oldest;
        }

        int n = (int)Math.Min(end - cursor, into.Length);
        for (int i = 0; i < n; i++) into[i] = _entries[(cursor + i) & _mask];

        // Whatever the writer reached meanwhile may have overwritten the oldest entries we copied.
        long after = Volatile.Read(ref _written);
        // The entry of sequence `after` may be half written, over sequence `after - capacity`.
        long firstSafe = after - _entries.Length + 1;
        int skip = firstSafe > cursor ? (int)Math.Min(n, firstSafe - cursor) : 0;
        if (skip > 0)
        {
            lost += skip;
            into[skip..n].CopyTo(into);
            n -= skip;
        }

        cursor += n + skip;
        return n;
    }
}

namespace Shoal.Dashboard;

/// <summary>
/// What the dashboard learns of one task group from the task stream (finished and failed tasks,
/// time, bytes, a duration histogram). Updated by the feed's one thread only.
/// </summary>
internal sealed class GroupAccumulator(string name)
{
    /// <summary>Histogram buckets: bucket i holds durations in [2^(i-20), 2^(i-19)) seconds (~1 µs to ~2000 s).</summary>
    public const int Buckets = 32;

    public string Name { get; } = name;

    public long Done { get; private set; }

    public long Erred { get; private set; }

    public double TotalSeconds { get; private set; }

    public long Bytes { get; private set; }

    public long[] Histogram { get; } = new long[Buckets];

    public void Add(TaskStreamKind kind, double seconds, long nbytes)
    {
        if (kind == TaskStreamKind.Erred) Erred++;
        else Done++;
        seconds = Math.Max(0, seconds);
        TotalSeconds += seconds;
        Bytes += Math.Max(0, nbytes);
        Histogram[BucketOf(seconds)]++;
    }

    /// <summary>The histogram bucket of a duration.</summary>
    public static int BucketOf(double seconds)
    {
        if (seconds <= 0) return 0;
        int b = (int)Math.Floor(Math.Log2(seconds)) + 20;
        return Math.Clamp(b, 0, Buckets - 1);
    }

    /// <summary>The lower bound in seconds of bucket <paramref name="bucket"/>.</summary>
    public static double BucketStart(int bucket) => Math.Pow(2, bucket - 20);
}

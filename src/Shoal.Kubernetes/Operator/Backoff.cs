namespace Shoal.Kubernetes.Operator;

/// <summary>Exponential back-off with jitter between retries (as client-go's): from <paramref name="initial"/>, doubling, at most <paramref name="maximum"/>.</summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan maximum)
{
    private int _failures;

    public int Failures => _failures;

    /// <summary>The wait before the next attempt after one more failure.</summary>
    public TimeSpan Next()
    {
        int n = Math.Min(Interlocked.Increment(ref _failures) - 1, 20);
        var wait = Math.Min(initial.TotalMilliseconds * Math.Pow(2, n), maximum.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(wait * (0.8 + Random.Shared.NextDouble() * 0.4));
    }

    public void Reset() => Interlocked.Exchange(ref _failures, 0);
}

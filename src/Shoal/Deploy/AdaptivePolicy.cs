namespace Shoal.Deploy;

/// <summary>
/// When an adaptive cluster changes size, given the scheduler's target and the workers it has
/// (counting those still starting). Up at once to the target; down only after the target stayed
/// lower for <c>waitCount</c> readings in a row, and then only to the highest of those readings:
/// a load that dips for a moment, or workers that take seconds to start, make no scale events.
/// Pure: readings in, decisions out.
/// </summary>
internal sealed class AdaptivePolicy(int minimum, int maximum, int waitCount)
{
    private int _lowerStreak;
    private int _highestWhileLower;

    /// <summary>The number of workers to scale to now, or null to stay.</summary>
    /// <param name="target">The scheduler's adaptive target.</param>
    /// <param name="current">Workers launched and not stopped (starting ones included: they count as capacity on its way).</param>
    public int? Decide(int target, int current)
    {
        target = Math.Clamp(target, minimum, maximum);
        if (target > current)
        {
            _lowerStreak = 0;
            return target;
        }

        if (target == current)
        {
            _lowerStreak = 0;
            return null;
        }

        _highestWhileLower = _lowerStreak == 0 ? target : Math.Max(_highestWhileLower, target);
        if (++_lowerStreak < waitCount) return null;
        _lowerStreak = 0;
        return _highestWhileLower;
    }
}

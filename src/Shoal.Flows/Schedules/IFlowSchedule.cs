namespace Shoal.Flows;

/// <summary>When a deployment's runs start.</summary>
public interface IFlowSchedule
{
    /// <summary>The first start strictly after <paramref name="instant"/>, or null when there is none.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The next start.</returns>
    DateTimeOffset? NextAfter(DateTimeOffset instant);
}

/// <summary>Every <see cref="Interval"/> of real time from an anchor (unaffected by daylight-saving changes).</summary>
public sealed class IntervalSchedule : IFlowSchedule
{
    /// <summary>A schedule every <paramref name="interval"/> from <paramref name="anchor"/>.</summary>
    /// <param name="interval">The interval (positive).</param>
    /// <param name="anchor">An instant the schedule passes through; default the Unix epoch.</param>
    public IntervalSchedule(TimeSpan interval, DateTimeOffset? anchor = null)
    {
        if (interval <= TimeSpan.Zero) throw new FlowScheduleException($"an interval schedule needs a positive interval, not {interval}");
        Interval = interval;
        Anchor = anchor ?? DateTimeOffset.UnixEpoch;
    }

    /// <summary>The interval.</summary>
    public TimeSpan Interval { get; }

    /// <summary>The anchor.</summary>
    public DateTimeOffset Anchor { get; }

    /// <inheritdoc />
    public DateTimeOffset? NextAfter(DateTimeOffset instant)
    {
        var elapsed = instant - Anchor;
        var steps = elapsed < TimeSpan.Zero ? 0 : elapsed.Ticks / Interval.Ticks + 1;
        return Anchor + TimeSpan.FromTicks(steps * Interval.Ticks);
    }
}

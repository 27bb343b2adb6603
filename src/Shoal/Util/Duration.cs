namespace Shoal.Util;

/// <summary>
/// Durations in human form, as Dask writes them: "60s", "15m", "500ms", "1h", "2.5s", "1d",
/// "100us". A bare number is a number of seconds. Units are case-insensitive and may be
/// spelt out ("seconds", "minutes").
/// </summary>
internal static class Duration
{
    private static readonly Dictionary<string, double> TicksPerUnit = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ns"] = TimeSpan.TicksPerMicrosecond / 1000.0,
        ["nanosecond"] = TimeSpan.TicksPerMicrosecond / 1000.0,
        ["nanoseconds"] = TimeSpan.TicksPerMicrosecond / 1000.0,
        ["us"] = TimeSpan.TicksPerMicrosecond,
        ["µs"] = TimeSpan.TicksPerMicrosecond,
        ["microsecond"] = TimeSpan.TicksPerMicrosecond,
        ["microseconds"] = TimeSpan.TicksPerMicrosecond,
        ["ms"] = TimeSpan.TicksPerMillisecond,
        ["millisecond"] = TimeSpan.TicksPerMillisecond,
        ["milliseconds"] = TimeSpan.TicksPerMillisecond,
        [""] = TimeSpan.TicksPerSecond,
        ["s"] = TimeSpan.TicksPerSecond,
        ["sec"] = TimeSpan.TicksPerSecond,
        ["second"] = TimeSpan.TicksPerSecond,
        ["seconds"] = TimeSpan.TicksPerSecond,
        ["m"] = TimeSpan.TicksPerMinute,
        ["min"] = TimeSpan.TicksPerMinute,
        ["minute"] = TimeSpan.TicksPerMinute,
        ["minutes"] = TimeSpan.TicksPerMinute,
        ["h"] = TimeSpan.TicksPerHour,
        ["hr"] = TimeSpan.TicksPerHour,
        ["hour"] = TimeSpan.TicksPerHour,
        ["hours"] = TimeSpan.TicksPerHour,
        ["d"] = TimeSpan.TicksPerDay,
        ["day"] = TimeSpan.TicksPerDay,
        ["days"] = TimeSpan.TicksPerDay,
        ["w"] = TimeSpan.TicksPerDay * 7,
        ["week"] = TimeSpan.TicksPerDay * 7,
        ["weeks"] = TimeSpan.TicksPerDay * 7,
    };

    /// <summary>Units tried by <see cref="Format"/>, largest first.</summary>
    private static readonly (string Name, long Ticks)[] FormatUnits =
    [
        ("d", TimeSpan.TicksPerDay), ("h", TimeSpan.TicksPerHour), ("m", TimeSpan.TicksPerMinute),
        ("s", TimeSpan.TicksPerSecond), ("ms", TimeSpan.TicksPerMillisecond), ("us", TimeSpan.TicksPerMicrosecond),
    ];

    /// <summary>
    /// Parses a duration. Throws <see cref="FormatException"/> (quoting the input and saying
    /// what is wrong) when it is empty, negative, has an unknown unit or is too long for a
    /// <see cref="TimeSpan"/>. Precision is a <see cref="TimeSpan"/> tick (100 ns).
    /// </summary>
    /// <param name="text">The duration, e.g. "60s", "15m" or "2.5".</param>
    /// <returns>The duration.</returns>
    public static TimeSpan Parse(string text)
    {
        if (TryParse(text, out var duration, out var error))
        {
            return duration;
        }

        throw new FormatException($"'{text}' is not a duration: {error}");
    }

    /// <summary>Parses a duration; returns false instead of throwing when it is malformed.</summary>
    /// <param name="text">The duration, e.g. "60s", "15m" or "2.5".</param>
    /// <param name="duration">The duration, or <see cref="TimeSpan.Zero"/> when parsing failed.</param>
    /// <returns>True when <paramref name="text"/> is a valid duration.</returns>
    public static bool TryParse(string? text, out TimeSpan duration) => TryParse(text, out duration, out _);

    /// <summary>
    /// Parses a duration; on failure <paramref name="error"/> says why, without quoting the input.
    /// </summary>
    internal static bool TryParse(string? text, out TimeSpan duration, out string? error)
    {
        duration = TimeSpan.Zero;
        if (!HumanNumber.TrySplit(text, out var number, out var unit, out error))
        {
            return false;
        }

        if (!TicksPerUnit.TryGetValue(unit, out var ticksPerUnit))
        {
            error = $"unknown unit '{unit}' (use us, ms, s, m, h, d or w; a bare number is seconds)";
            return false;
        }

        var ticks = Math.Round(number * ticksPerUnit);
        if (ticks >= TimeSpan.MaxValue.Ticks)
        {
            error = "it is too long";
            return false;
        }

        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    /// <summary>
    /// Formats a duration in the form <see cref="Parse"/> reads: in the largest unit that
    /// divides it exactly ("15m", "500ms"), otherwise in seconds with up to two decimals ("2.57s").
    /// </summary>
    /// <param name="duration">The duration; negative durations are formatted with a sign.</param>
    /// <returns>The formatted duration.</returns>
    public static string Format(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            return duration == TimeSpan.MinValue ? $"{duration.Ticks * 100}ns" : "-" + Format(duration.Negate());
        }

        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        foreach (var (name, ticks) in FormatUnits)
        {
            if (duration.Ticks % ticks == 0)
            {
                return $"{duration.Ticks / ticks}{name}";
            }
        }

        return duration.Ticks >= TimeSpan.TicksPerSecond
            ? $"{HumanNumber.Compact(duration.TotalSeconds)}s"
            : $"{HumanNumber.Compact(duration.TotalMicroseconds)}us";
    }
}

using Cronos;
using NodaTime;

namespace Shoal.Flows;

/// <summary>
/// A cron schedule in an IANA time zone. Cronos parses the expression and finds matching wall-clock
/// times; NodaTime's embedded time-zone database maps them to instants, so schedules need no
/// <c>TZ</c> or tzdata in a container. Across daylight-saving changes: a wall-clock time skipped by
/// a spring-forward change runs once, when the gap ends; a time repeated by a fall-back change runs
/// once, at its first occurrence, unless the expression's hour field repeats every hour (<c>*</c>,
/// <c>*/n</c>), in which case it runs in both passes (as Cronos does), since it follows real time.
/// </summary>
public sealed class CronSchedule : IFlowSchedule
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(3); // more than any daylight-saving shift
    private readonly CronExpression cron;
    private readonly DateTimeZone zone;
    private readonly bool hourly;

    /// <summary>A schedule from a 5-field (minutes) or 6-field (seconds) cron expression in a time zone.</summary>
    /// <param name="expression">The cron expression, e.g. <c>30 1 * * *</c>.</param>
    /// <param name="timeZone">An IANA time zone, e.g. <c>Europe/London</c>; default UTC.</param>
    /// <exception cref="FlowScheduleException">An expression that does not parse or an unknown time zone.</exception>
    public CronSchedule(string expression, string timeZone = "UTC")
    {
        ArgumentNullException.ThrowIfNull(expression);
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            cron = CronExpression.Parse(expression, fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw new FlowScheduleException($"cron expression '{expression}' does not parse: {ex.Message}", ex);
        }

        zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone)
            ?? throw new FlowScheduleException($"unknown time zone '{timeZone}' (give an IANA name such as Europe/London or America/New_York)");
        var hour = fields[fields.Length == 6 ? 2 : 1];
        hourly = hour == "*" || hour.StartsWith("*/", StringComparison.Ordinal);
        Expression = expression;
        TimeZone = timeZone;
    }

    /// <summary>The expression.</summary>
    public string Expression { get; }

    /// <summary>The IANA time zone.</summary>
    public string TimeZone { get; }

    /// <inheritdoc />
    public DateTimeOffset? NextAfter(DateTimeOffset instant)
    {
        // Matching wall-clock times are searched on a DST-free timeline (local time read as UTC),
        // from a little before the instant's local time, since near a change a later instant can
        // have an earlier wall-clock time; the earliest resulting instant after the given one wins.
        var start = Instant.FromDateTimeOffset(instant);
        var cursor = LocalAsUtc(start) - Window;
        Instant? best = null;
        for (var guard = 0; guard < 100_000; guard++)
        {
            if (cron.GetNextOccurrence(cursor) is not { } next) break;
            if (best is { } found && next > LocalAsUtc(found) + Window) break;
            foreach (var candidate in InstantsOf(LocalDateTime.FromDateTime(next)))
            {
                if (candidate > start && (best is null || candidate < best)) best = candidate;
            }

            cursor = next;
        }

        return best?.ToDateTimeOffset();
    }

    private DateTime LocalAsUtc(Instant instant) => DateTime.SpecifyKind(instant.InZone(zone).LocalDateTime.ToDateTimeUnspecified(), DateTimeKind.Utc);

    private IEnumerable<Instant> InstantsOf(LocalDateTime local)
    {
        var mapping = zone.MapLocal(local);
        switch (mapping.Count)
        {
            case 0:
                yield return mapping.LateInterval.Start; // skipped: when the gap ends
                break;
            case 1:
                yield return mapping.Single().ToInstant();
                break;
            default:
                yield return mapping.First().ToInstant();
                if (hourly) yield return mapping.Last().ToInstant();
                break;
        }
    }
}

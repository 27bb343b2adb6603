using Shoal.Util;

namespace Shoal.Tests.Util;

public class DurationTests
{
    public static TheoryData<string, TimeSpan> Valid => new()
    {
        { "60s", TimeSpan.FromSeconds(60) },
        { "15m", TimeSpan.FromMinutes(15) },
        { "500ms", TimeSpan.FromMilliseconds(500) },
        { "1h", TimeSpan.FromHours(1) },
        { "2.5s", TimeSpan.FromMilliseconds(2500) },
        { "1d", TimeSpan.FromDays(1) },
        { "1w", TimeSpan.FromDays(7) },
        { "100us", TimeSpan.FromMicroseconds(100) },
        { "100µs", TimeSpan.FromMicroseconds(100) },
        { "1500ns", TimeSpan.FromTicks(15) },
        { "2", TimeSpan.FromSeconds(2) },
        { "0.25", TimeSpan.FromMilliseconds(250) },
        { "0", TimeSpan.Zero },
        { "10 minutes", TimeSpan.FromMinutes(10) },
        { "3 Seconds", TimeSpan.FromSeconds(3) },
        { "1MS", TimeSpan.FromMilliseconds(1) },
        { "1e3ms", TimeSpan.FromSeconds(1) },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parses_human_durations(string text, TimeSpan expected)
    {
        Duration.Parse(text).ShouldBe(expected);
        Duration.TryParse(text, out var parsed).ShouldBeTrue();
        parsed.ShouldBe(expected);
    }

    [Theory]
    [InlineData("5x", "unknown unit 'x'")]
    [InlineData("-1s", "negative")]
    [InlineData("", "empty")]
    [InlineData("s", "expected a number")]
    [InlineData("1e20d", "too long")]
    [InlineData("1:30", "expected a number")]
    public void Rejects_malformed_durations_quoting_the_input(string text, string reason)
    {
        var ex = Should.Throw<FormatException>(() => Duration.Parse(text));
        ex.Message.ShouldContain($"'{text}'");
        ex.Message.ShouldContain(reason);
        Duration.TryParse(text, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(15 * TimeSpan.TicksPerMinute, "15m")]
    [InlineData(500 * TimeSpan.TicksPerMillisecond, "500ms")]
    [InlineData(90 * TimeSpan.TicksPerSecond, "90s")]
    [InlineData(36 * TimeSpan.TicksPerHour, "36h")]
    [InlineData(100 * TimeSpan.TicksPerMicrosecond, "100us")]
    public void Formats_in_the_largest_exact_unit_and_parses_back(long ticks, string expected)
    {
        var duration = TimeSpan.FromTicks(ticks);
        Duration.Format(duration).ShouldBe(expected);
        Duration.Parse(expected).ShouldBe(duration);
    }

    [Fact]
    public void Formats_an_inexact_duration_in_seconds_with_two_decimals() =>
        Duration.Format(TimeSpan.FromTicks(25_678_901)).ShouldBe("2.57s");
}

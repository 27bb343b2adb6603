using Microsoft.Extensions.Time.Testing;

namespace Shoal.Flows.Tests;

/// <summary>Cron and interval schedules across the March and October daylight-saving changes, and a server that starts each run once.</summary>
public class ScheduleTests
{
    private static DateTimeOffset Utc(string s) => DateTimeOffset.Parse(s + "Z", System.Globalization.CultureInfo.InvariantCulture);

    private static List<DateTimeOffset> Starts(IFlowSchedule schedule, DateTimeOffset from, int count)
    {
        var starts = new List<DateTimeOffset>();
        var cursor = from;
        for (var i = 0; i < count && schedule.NextAfter(cursor) is { } next; i++) starts.Add(cursor = next);
        return starts;
    }

    [Fact]
    public void London_daily_at_0130_runs_once_each_day_across_both_changes()
    {
        var schedule = new CronSchedule("30 1 * * *", "Europe/London");
        // 29 March 2026: 01:00 GMT jumps to 02:00 BST, so 01:30 does not exist: the run comes when the gap ends.
        Starts(schedule, Utc("2026-03-27T12:00:00"), 3).ShouldBe([Utc("2026-03-28T01:30:00"), Utc("2026-03-29T01:00:00"), Utc("2026-03-30T00:30:00")]);
        // 25 October 2026: 02:00 BST falls back to 01:00 GMT, so 01:30 happens twice: one run, at the first.
        Starts(schedule, Utc("2026-10-23T12:00:00"), 3).ShouldBe([Utc("2026-10-24T00:30:00"), Utc("2026-10-25T00:30:00"), Utc("2026-10-26T01:30:00")]);
    }

    [Fact]
    public void New_York_daily_runs_once_each_day_across_both_changes()
    {
        // 8 March 2026: 02:00 EST jumps to 03:00 EDT; 02:30 is skipped and runs at 03:00 EDT.
        Starts(new CronSchedule("30 2 * * *", "America/New_York"), Utc("2026-03-06T12:00:00"), 3)
            .ShouldBe([Utc("2026-03-07T07:30:00"), Utc("2026-03-08T07:00:00"), Utc("2026-03-09T06:30:00")]);
        // 1 November 2026: 02:00 EDT falls back to 01:00 EST; 01:30 once, in EDT.
        Starts(new CronSchedule("30 1 * * *", "America/New_York"), Utc("2026-10-30T12:00:00"), 3)
            .ShouldBe([Utc("2026-10-31T05:30:00"), Utc("2026-11-01T05:30:00"), Utc("2026-11-02T06:30:00")]);
    }

    [Theory]
    [InlineData("Europe/London", "2026-03-28T23:00:00", "2026-10-24T23:00:00")]
    [InlineData("America/New_York", "2026-03-08T04:00:00", "2026-11-01T03:00:00")]
    public void An_every_30_minutes_schedule_follows_real_time_through_both_changes(string zone, string march, string october)
    {
        var schedule = new CronSchedule("*/30 * * * *", zone);
        foreach (var from in new[] { Utc(march), Utc(october) })
        {
            var starts = Starts(schedule, from, 12);
            starts.Zip(starts.Skip(1), (a, b) => b - a).ShouldAllBe(gap => gap == TimeSpan.FromMinutes(30));
        }
    }

    [Fact]
    public void An_interval_schedule_is_real_time_from_its_anchor()
    {
        var schedule = new IntervalSchedule(TimeSpan.FromHours(6), Utc("2026-01-01T03:00:00"));
        Starts(schedule, Utc("2026-03-29T00:00:00"), 3).ShouldBe([Utc("2026-03-29T03:00:00"), Utc("2026-03-29T09:00:00"), Utc("2026-03-29T15:00:00")]);
        schedule.NextAfter(Utc("2026-03-29T03:00:00")).ShouldBe(Utc("2026-03-29T09:00:00"));
    }

    public sealed record Empty;

    private static readonly Flow<Empty, int> Tick = Flow.Create("tick", static async (Empty _) =>
    {
        await Task.Yield();
        return 1;
    });

    [Fact]
    public async Task The_server_starts_each_run_once_at_its_instant_across_the_October_change_and_not_again_after_a_restart()
    {
        var time = new FakeTimeProvider(Utc("2026-10-24T22:50:00")); // 23:50 BST
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1 });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.Cluster(cluster), new FlowRunnerOptions { TimeProvider = time });
        var schedule = new CronSchedule("30 0-3 * * *", "Europe/London");
        // 00:30 BST, 01:30 BST (its first pass only), 02:30 GMT, 03:30 GMT
        DateTimeOffset[] expected = [Utc("2026-10-24T23:30:00"), Utc("2026-10-25T00:30:00"), Utc("2026-10-25T02:30:00"), Utc("2026-10-25T03:30:00")];

        var started = await ServeUntilAsync(runner, schedule, time, expected[..2]);
        started.ShouldBe(expected[..2]);
        // A restarted server resumes after the last claimed start: nothing runs twice.
        var resumed = await ServeUntilAsync(runner, schedule, time, expected[2..]);
        resumed.ShouldBe(expected[2..]);
        var runs = await temp.Store.ListFlowRunsAsync();
        runs.Count.ShouldBe(4);
        runs.ShouldAllBe(r => r.State == RunState.Completed);
        runs.Select(r => r.Created).Order().ShouldBe(expected);
        (await temp.Store.TryClaimScheduledRunAsync("tick", expected[1])).ShouldBeFalse();
    }

    /// <summary>Runs a server, moving the fake clock to each start it waits for, until it started the given ones.</summary>
    private static async Task<List<DateTimeOffset>> ServeUntilAsync(FlowRunner runner, IFlowSchedule schedule, FakeTimeProvider time, DateTimeOffset[] starts)
    {
        var waits = System.Threading.Channels.Channel.CreateUnbounded<DateTimeOffset>();
        var ended = System.Threading.Channels.Channel.CreateUnbounded<(DateTimeOffset, RunState)>();
        var server = new FlowServer(runner)
        {
            Waiting = (_, next) => waits.Writer.TryWrite(next),
            RunEnded = (_, at, state) => ended.Writer.TryWrite((at, state)),
        };
        server.Add("tick", Tick, schedule, new Empty());
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var serving = server.ServeAsync(stop.Token);
        var started = new List<DateTimeOffset>();
        foreach (var _ in starts)
        {
            var next = await waits.Reader.ReadAsync(stop.Token);
            if (next > time.GetUtcNow()) time.SetUtcNow(next);
            var (at, state) = await ended.Reader.ReadAsync(stop.Token);
            state.ShouldBe(RunState.Completed);
            started.Add(at);
        }

        await waits.Reader.ReadAsync(stop.Token); // waiting for the one after: stop there
        await stop.CancelAsync();
        await serving;
        ended.Reader.TryRead(out var _).ShouldBeFalse();
        return started;
    }
}

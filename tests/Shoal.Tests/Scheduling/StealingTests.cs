using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

public class StealingTests
{
    private static SchedulerHarness Crowded(long inputBytes)
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Scatter(1, [0], true, ("d-1", inputBytes));
        h.Submit(Enumerable.Range(1, 4).Select(i => Task($"f-{i}", "d-1")).ToArray()).Count.ShouldBe(4);
        h.Processing(0).ShouldBe(["f-1", "f-2", "f-3", "f-4"]);
        h.AddWorker(1).ShouldBeEmpty(); // nothing queued: the work sits on w0
        return h;
    }

    [Fact]
    public void An_idle_worker_steals_the_last_sent_task_when_the_victim_gives_it_up()
    {
        var h = Crowded(1000);
        h.Tick().ShouldBe(["StealRequest w0 f-4"]);
        h.Tick().ShouldBeEmpty(); // one thread, one steal in flight
        h.StealResponse(0, "f-4", accepted: true).ShouldBe(["Compute w1 f-4"]);
        h.Processing(1).ShouldBe(["f-4"]);
        h.Processing(0).ShouldBe(["f-1", "f-2", "f-3"]);
        h.Tick().ShouldBeEmpty(); // w1 is busy now
    }

    [Fact]
    public void A_rejected_steal_leaves_the_task_where_it_is()
    {
        var h = Crowded(1000);
        h.Tick().ShouldBe(["StealRequest w0 f-4"]);
        h.StealResponse(0, "f-4", accepted: false).ShouldBeEmpty();
        h.Processing(0).ShouldBe(["f-1", "f-2", "f-3", "f-4"]);
        h.Tick().ShouldBe(["StealRequest w0 f-4"]); // may ask again later
    }

    [Fact]
    public void No_steal_when_moving_the_inputs_costs_more_than_the_task()
    {
        var h = Crowded(1_000_000_000); // 10 s to move, 0.5 s to compute
        h.Tick().ShouldBeEmpty();
    }

    [Fact]
    public void No_steal_of_tasks_shorter_than_the_round_trip()
    {
        var h = new SchedulerHarness(new SchedulerConfig { RoundTrip = 0.01 });
        h.AddWorker(0);
        h.Scatter(1, [0], true, ("d-1", 10));
        h.Submit(Enumerable.Range(1, 4).Select(i => Task($"f-{i}", "d-1")).ToArray());
        h.Finish(0, "f-1", duration: 0.001); // f tasks take 1 ms, a steal costs 10 ms
        h.AddWorker(1);
        h.Tick().ShouldBeEmpty();
    }

    [Fact]
    public void No_steal_when_disabled()
    {
        var h = new SchedulerHarness(new SchedulerConfig { WorkStealing = false });
        h.AddWorker(0);
        h.Scatter(1, [0], true, ("d-1", 10));
        h.Submit(Enumerable.Range(1, 4).Select(i => Task($"f-{i}", "d-1")).ToArray());
        h.AddWorker(1);
        h.Tick().ShouldBeEmpty();
    }

    [Fact]
    public void A_steal_answered_after_the_task_finished_is_ignored()
    {
        var h = Crowded(1000);
        h.Tick().ShouldBe(["StealRequest w0 f-4"]);
        h.Finish(0, "f-4").ShouldBe(["KeyInMemory c1 f-4"]);
        h.StealResponse(0, "f-4", accepted: true).ShouldBeEmpty();
    }

    [Fact]
    public void A_thief_that_dies_before_the_answer_does_not_get_the_task()
    {
        var h = Crowded(1000);
        h.Tick().ShouldBe(["StealRequest w0 f-4"]);
        h.RemoveWorker(1).ShouldBeEmpty();
        // The victim gave the task up: it is placed afresh (only w0 is left).
        h.StealResponse(0, "f-4", accepted: true).ShouldBe(["Compute w0 f-4"]);
        h.Processing(0).ShouldBe(["f-1", "f-2", "f-3", "f-4"]);
    }
}

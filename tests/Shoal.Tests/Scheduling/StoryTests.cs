using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>The story of a key on the scheduler: each transition with its worker and the event (stimulus) that caused it.</summary>
public class StoryTests
{
    private static string[] Story(SchedulerHarness h, string key) =>
        [.. h.State.StoryOf(key).Select(t => $"{t.From}->{t.To} {t.Worker ?? "-"} {t.Cause}{(t.Detail is null ? "" : " " + t.Detail)}")];

    [Fact]
    public void A_stolen_task_tells_where_it_ran_who_asked_for_it_and_who_gave_it_up()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Scatter(1, [0], true, ("d-1", 1000));
        h.Submit(Enumerable.Range(1, 4).Select(i => Task($"f-{i}", "d-1")).ToArray());
        h.AddWorker(1);
        h.Tick().ShouldBe(["StealRequest w0 f-4"]);
        h.StealResponse(0, "f-4", accepted: true).ShouldBe(["Compute w1 f-4"]);
        h.Finish(1, "f-4");

        Story(h, "f-4").ShouldBe([
            "Released->Waiting - GraphSubmitted",
            "Waiting->Processing w0 GraphSubmitted",
            "Processing->Processing w0 Tick steal requested for w1",
            "Processing->Processing w1 StealAnswered accepted",
            "Processing->Memory w1 TaskFinished",
        ]);
    }

    [Fact]
    public void A_task_whose_worker_died_tells_which_worker_died_why_and_where_it_ran_next()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Task("t-1"));
        h.AddWorker(1);
        h.RemoveWorker(0, "killed by signal 9").ShouldBe(["Compute w1 t-1"]);
        h.Finish(1, "t-1");

        // A root task waits in the scheduler's queue until a worker has a free thread.
        Story(h, "t-1").ShouldBe([
            "Released->Waiting - GraphSubmitted",
            "Waiting->Queued - GraphSubmitted",
            "Queued->Processing w0 GraphSubmitted",
            "Processing->Waiting w0 WorkerLeft killed by signal 9",
            "Waiting->Queued w0 WorkerLeft killed by signal 9",
            "Queued->Processing w1 WorkerLeft killed by signal 9",
            "Processing->Memory w1 TaskFinished",
        ]);
        // The transitions the worker's death caused share its stimulus; later events have later ids.
        var story = h.State.StoryOf("t-1");
        story[3].StimulusId.ShouldBe(story[5].StimulusId);
        story[6].StimulusId.ShouldBeGreaterThan(story[5].StimulusId);
    }

    [Fact]
    public void An_erred_task_and_its_dependent_tell_the_error()
    {
        var h = SchedulerHarness.WithoutAheadOfTime();
        h.AddWorker(0);
        h.Submit(Task("a-1"), Task("b-1", "a-1"));
        h.Err(0, "a-1", TestPayloads.Error("boom", "InvalidOperationException"));

        Story(h, "a-1").ShouldBe([
            "Released->Waiting - GraphSubmitted",
            "Waiting->Queued - GraphSubmitted",
            "Queued->Processing w0 GraphSubmitted",
            "Processing->Waiting w0 TaskErred InvalidOperationException: boom",
            "Waiting->Erred w0 TaskErred InvalidOperationException: boom",
        ]);
        Story(h, "b-1").ShouldBe([
            "Released->Waiting - GraphSubmitted",
            "Waiting->Erred w0 TaskErred InvalidOperationException: boom",
        ]);
    }

    [Fact]
    public void The_story_is_bounded_and_keeps_the_latest_transitions()
    {
        var h = new SchedulerHarness(new SchedulerConfig { StoryLength = 4 });
        h.AddWorker(0);
        h.Submit(Task("x-1"));
        h.Finish(0, "x-1");
        h.Release(1, "x-1");
        Story(h, "x-1").Length.ShouldBe(4);
        Story(h, "x-1")[0].ShouldBe("Queued->Processing w0 GraphSubmitted");
        Story(h, "x-1")[^1].ShouldStartWith("Released->Forgotten");

        var off = new SchedulerHarness(new SchedulerConfig { StoryLength = 0 });
        off.AddWorker(0);
        off.Submit(Task("y-1"));
        off.State.StoryOf("y-1").ShouldBeEmpty();
    }
}

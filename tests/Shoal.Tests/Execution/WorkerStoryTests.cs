using Shoal.Execution;
using static Shoal.Tests.Execution.WorkerStateTestKit;

namespace Shoal.Tests.Execution;

/// <summary>The story of a key on a worker: each transition with the event (stimulus) that caused it.</summary>
public class WorkerStoryTests
{
    private static string[] Story(WorkerState ws, string key) =>
        [.. ws.StoryOf(key).Select(t => $"{t.From}->{t.To} {t.Cause}{(t.Detail is null ? "" : " " + t.Detail)}")];

    [Fact]
    public void A_task_that_fetched_its_input_ran_and_failed_tells_each_step()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "tcp://peer:1")), 0);
        ws.GatherSuccess("tcp://peer:1", Received(("x", 1)), [], 1);
        ws.ExecuteFailure("a", TestPayloads.Error("boom", "InvalidOperationException"), 2, 3);

        Story(ws, "a").ShouldBe([
            "Released->Waiting compute-task",
            "Waiting->Ready gather-dep-success tcp://peer:1",
            "Ready->Executing gather-dep-success tcp://peer:1",
            "Executing->Error task-erred InvalidOperationException: boom",
            "Error->Released task-erred InvalidOperationException: boom", // reported; the scheduler holds the error
        ]);
        Story(ws, "x").ShouldBe([
            "Released->Fetch compute-task",
            "Fetch->Flight compute-task",
            "Flight->Memory gather-dep-success tcp://peer:1",
        ]);
        var story = ws.StoryOf("a");
        story[1].StimulusId.ShouldBe(story[2].StimulusId);
        story[3].Time.ShouldBe(3);
    }

    [Fact]
    public void A_stolen_task_tells_that_it_was_given_up()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b"), 0);
        ws.StealRequest("b", 0, 1);
        Story(ws, "b").ShouldBe([
            "Released->Ready compute-task",
            "Ready->Released steal-request",
        ]);
    }
}

using Shoal.Execution;
using static Shoal.Tests.Execution.WorkerStateTestKit;

namespace Shoal.Tests.Execution;

public class WorkerStateReleaseTests
{
    [Fact]
    public void Freeing_a_queued_task_forgets_it()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b"), 0);
        ws.FreeKeys(["b"], 1).ShouldBeInstructions();
        ws.StateOf("b").ShouldBeNull();
        ws.ReadyCount.ShouldBe(0);
        ws.ExecuteSuccess("a", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("a", 1, 0, 1));
    }

    [Fact]
    public void A_free_of_an_earlier_put_overtaken_by_a_later_scatter_of_the_same_key_keeps_the_value()
    {
        var ws = NewState();
        ws.DataPut([Kv("x", 10)], 0, [7]).ShouldBeInstructions();
        // Released and scattered again: the new put arrives (on the client's connection) before the scheduler's FreeKeys of the old one.
        ws.DataPut([Kv("x", 10)], 1, [9]).ShouldBeInstructions();
        ws.FreeKeys(["x"], 2, new Dictionary<string, ulong> { ["x"] = 7 }).ShouldBeInstructions();
        ws.FreeKeys(["x"], 2).ShouldBeInstructions(); // names no put: sent before the scheduler knew of this one
        ws.StateOf("x").ShouldBe(WorkerTaskState.Memory);
        ws.StoryOf("x").ShouldContain(t => t.Cause == "free-keys-of-an-earlier-put");
        ws.FreeKeys(["x"], 3, new Dictionary<string, ulong> { ["x"] = 9 }).ShouldBeInstructions(new ReleaseData("x"));
        ws.StateOf("x").ShouldBeNull();
    }

    [Fact]
    public void A_value_copied_from_a_peer_is_freed_whatever_put_the_free_names()
    {
        var ws = NewState();
        ws.DataPut([Kv("x", 10)], 0).ShouldBeInstructions(); // a put without generation (a restore, a recovered journal)
        ws.FreeKeys(["x"], 1, new Dictionary<string, ulong> { ["x"] = 7 }).ShouldBeInstructions(new ReleaseData("x"));
    }

    [Fact]
    public void Freeing_a_waiting_task_forgets_its_queued_fetches()
    {
        var ws = NewState(transferLimit: 1);
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1"), Dep("y", 1, "p2")), 0)
            .ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
        ws.FreeKeys(["a"], 1).ShouldBeInstructions();
        ws.StateOf("a").ShouldBeNull();
        ws.StateOf("y").ShouldBeNull();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Cancelled);
        // The cancelled gather's value is dropped, and nothing else is fetched.
        ws.GatherSuccess("p1", Received(("x", 1)), None, 2).ShouldBeInstructions(new ReleaseData("x"));
        ws.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void Freeing_a_missing_dependency_user_forgets_the_missing_key()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1)), 0);
        ws.FreeKeys(["a"], 1).ShouldBeInstructions();
        ws.MissingKeys.ShouldBeEmpty();
        ws.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void Freeing_an_executing_task_drops_its_result()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b"), 0);
        ws.FreeKeys(["a"], 1).ShouldBeInstructions();
        ws.StateOf("a").ShouldBe(WorkerTaskState.Cancelled);
        ws.Executing.ShouldBe(1);
        ws.ExecuteSuccess("a", 10, 0, 2).ShouldBeInstructions(new ReleaseData("a"), new Execute("b"));
        ws.StateOf("a").ShouldBeNull();
        ws.ManagedBytes.ShouldBe(0);
    }

    [Fact]
    public void Freeing_an_executing_task_drops_its_failure_silently()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.FreeKeys(["a"], 1);
        ws.ExecuteFailure("a", TestPayloads.Error("err"), 0, 2).ShouldBeInstructions();
        ws.StateOf("a").ShouldBeNull();
        ws.Executing.ShouldBe(0);
    }

    [Fact]
    public void Cancelled_task_asked_for_again_reports_its_result()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.FreeKeys(["a"], 1);
        ws.ComputeTask(Task("a"), 2).ShouldBeInstructions(new TaskStartedMsg("a", 0)); // its worker's death counts again
        ws.StateOf("a").ShouldBe(WorkerTaskState.Executing);
        ws.ExecuteSuccess("a", 3, 0, 3).ShouldBeInstructions(new TaskDoneMsg("a", 3, 0, 3));
    }

    [Fact]
    public void Freeing_a_value_in_memory_releases_it()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ExecuteSuccess("a", 8, 0, 1);
        ws.FreeKeys(["a", "unknown"], 2).ShouldBeInstructions(new ReleaseData("a"));
        ws.ManagedBytes.ShouldBe(0);
        ws.DataKeys.ShouldBeEmpty();
    }

    [Fact]
    public void Freed_value_still_needed_locally_is_kept_until_its_dependent_finishes()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ExecuteSuccess("a", 8, 0, 1);
        ws.ComputeTask(Task("blocker"), 1);
        ws.ComputeTask(Task("b", 0, Dep("a", 8, Self)), 1);
        ws.FreeKeys(["a"], 2).ShouldBeInstructions();
        ws.StateOf("a").ShouldBe(WorkerTaskState.Memory);
        ws.ExecuteSuccess("blocker", 1, 1, 2).ShouldBeInstructions(new TaskDoneMsg("blocker", 1, 1, 2), new Execute("b"));
        ws.ExecuteSuccess("b", 1, 2, 3).ShouldBeInstructions(new TaskDoneMsg("b", 1, 2, 3), new ReleaseData("a"));
        ws.StateOf("a").ShouldBeNull();
    }

    [Fact]
    public void Freed_compute_task_still_needed_locally_is_computed_but_not_reported()
    {
        var ws = NewState();
        ws.ComputeTask(Task("blocker"), 0);
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b", 0, Dep("a", 1, Self)), 0);
        ws.FreeKeys(["a"], 1).ShouldBeInstructions();
        ws.ExecuteSuccess("blocker", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("blocker", 1, 0, 1), new Execute("a"));
        ws.ExecuteSuccess("a", 2, 1, 2).ShouldBeInstructions(new Execute("b"));
        ws.ExecuteSuccess("b", 3, 2, 3).ShouldBeInstructions(new TaskDoneMsg("b", 3, 2, 3), new ReleaseData("a"));
    }

    [Fact]
    public void Flight_key_then_asked_to_compute_takes_the_gathered_value_as_result()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 0);
        ws.FreeKeys(["a"], 1);
        ws.StateOf("x").ShouldBe(WorkerTaskState.Cancelled);
        ws.ComputeTask(Task("x", 0), 2).ShouldBeInstructions();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Resumed);
        ws.GatherSuccess("p1", Received(("x", 4)), None, 3).ShouldBeInstructions(new TaskDoneMsg("x", 4, 3, 3));
        ws.StateOf("x").ShouldBe(WorkerTaskState.Memory);
    }

    [Fact]
    public void Flight_key_then_asked_to_compute_computes_when_the_gather_fails()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 0);
        ws.ComputeTask(Task("x", 0), 2).ShouldBeInstructions();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Resumed);
        ws.GatherFailure("p1", ["x"], "gone", 3).ShouldBeInstructions(new Execute("x"));
        ws.ExecuteSuccess("x", 2, 3, 4).ShouldBeInstructions(new TaskDoneMsg("x", 2, 3, 4), new Execute("a"));
    }

    [Fact]
    public void Resumed_flight_key_freed_while_still_needed_goes_back_to_flight()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 0);
        ws.ComputeTask(Task("x", 0), 1);
        ws.FreeKeys(["x"], 2).ShouldBeInstructions();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Flight);
        ws.GatherSuccess("p1", Received(("x", 1)), None, 3)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 1)]), new Execute("a"));
    }

    [Fact]
    public void Cancelled_execution_needed_as_a_dependency_keeps_its_value()
    {
        var ws = NewState(nthreads: 2);
        ws.ComputeTask(Task("x"), 0);
        ws.FreeKeys(["x"], 1);
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 2).ShouldBeInstructions();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Resumed);
        ws.ExecuteSuccess("x", 6, 0, 3).ShouldBeInstructions(new AddKeysMsg([Kv("x", 6)]), new Execute("a"));
        ws.StateOf("x").ShouldBe(WorkerTaskState.Memory);
    }

    [Fact]
    public void Cancelled_execution_needed_as_a_dependency_is_fetched_when_it_fails()
    {
        var ws = NewState(nthreads: 2);
        ws.ComputeTask(Task("x"), 0);
        ws.FreeKeys(["x"], 1);
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 2);
        ws.ExecuteFailure("x", TestPayloads.Error("err"), 0, 3).ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
        ws.GatherSuccess("p1", Received(("x", 1)), None, 4)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 1)]), new Execute("a"));
    }

    [Fact]
    public void Dependency_in_flight_for_a_freed_task_is_revived_by_a_new_dependent()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 0);
        ws.FreeKeys(["a"], 1);
        ws.ComputeTask(Task("b", 0, Dep("x", 1, "p1")), 2).ShouldBeInstructions();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Flight);
        ws.GatherSuccess("p1", Received(("x", 1)), None, 3)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 1)]), new Execute("b"));
    }

    [Fact]
    public void Erred_task_is_forgotten_when_freed()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 0);
        ws.GatherSuccess("p1", Received(("x", 1)), None, 1);
        ws.ExecuteFailure("a", TestPayloads.Error("err"), 1, 2).ShouldBeInstructions(new TaskFailedMsg("a", TestPayloads.Error("err"), 1, 2));
        ws.FreeKeys(["a"], 3).ShouldBeInstructions();
        ws.StateOf("a").ShouldBeNull();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Memory); // replica: the scheduler was told, it frees it
    }

    [Fact]
    public void Result_for_an_unknown_key_is_released()
    {
        var ws = NewState();
        ws.ExecuteSuccess("ghost", 1, 0, 1).ShouldBeInstructions(new ReleaseData("ghost"));
        ws.ExecuteFailure("ghost", TestPayloads.Error("e"), 0, 1).ShouldBeInstructions();
    }
}

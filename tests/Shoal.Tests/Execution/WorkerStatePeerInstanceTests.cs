using Shoal.Execution;
using static Shoal.Tests.Execution.WorkerStateTestKit;

namespace Shoal.Tests.Execution;

/// <summary>
/// A worker restarted on its predecessor's address is a new process with a new instance id. The
/// worker state remembers which instance the scheduler last named for each peer address; a gather
/// that fails against the dead predecessor is not held against the new process.
/// </summary>
public class WorkerStatePeerInstanceTests
{
    private static DependencySpec At(string key, string peer, string instance) => new(key, 1, [peer], [instance]);

    [Fact]
    public void Missing_data_names_the_instance_the_gather_was_aimed_at()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, At("x", "p1", "old")), 0).ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
        ws.GatherFailure("p1", ["x"], "connection refused", 1).ShouldBeInstructions(new MissingDataMsg("x", "p1", "old"));
    }

    [Fact]
    public void A_peer_that_answers_without_the_key_is_named_by_its_instance()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, At("x", "p1", "i1")), 0);
        ws.GatherSuccess("p1", [], ["x"], 1).ShouldBeInstructions(new MissingDataMsg("x", "p1", "i1"));
    }

    [Fact]
    public void A_failure_of_the_dead_predecessor_keeps_the_keys_for_the_new_process()
    {
        // Seed 7364: a gather from p1 (process "old") is in flight when the scheduler names p1
        // (process "new") as the holder of y. The old process's failure must not strip y from p1.
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, At("x", "p1", "old")), 0).ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
        ws.ComputeTask(Task("b", 0, At("y", "p1", "new")), 1).ShouldBeInstructions();
        ws.StateOf("y").ShouldBe(WorkerTaskState.Fetch);
        // x goes back to p1 too (the new process may have it; if not, it says so); nothing is reported missing.
        ws.GatherFailure("p1", ["x"], "connection refused", 2).ShouldBeInstructions(new GatherDep("p1", ["x", "y"], 2));
        ws.MissingKeys.ShouldBeEmpty();
        ws.GatherFailure("p1", ["x", "y"], "connection refused", 3).ShouldBeInstructions(
            new MissingDataMsg("x", "p1", "new"), new MissingDataMsg("y", "p1", "new"));
    }

    [Fact]
    public void Without_instances_a_failure_strips_the_address_as_before()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 0).ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
        ws.ComputeTask(Task("b", 0, Dep("y", 1, "p1")), 1).ShouldBeInstructions();
        ws.GatherFailure("p1", ["x"], "connection refused", 2).ShouldBeInstructions(
            new MissingDataMsg("x", "p1"), new MissingDataMsg("y", "p1"));
    }

    [Fact]
    public void A_who_has_answer_makes_the_instance_unknown()
    {
        // The scheduler's who-has reply gives addresses only: a failure afterwards names no instance,
        // so the scheduler judges it by the address.
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, At("x", "p1", "i1")), 0);
        ws.GatherFailure("p1", ["x"], "connection refused", 1).ShouldBeInstructions(new MissingDataMsg("x", "p1", "i1"));
        ws.UpdateWhoHas("x", ["p1"], 2).ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
        ws.GatherFailure("p1", ["x"], "connection refused", 3).ShouldBeInstructions(new MissingDataMsg("x", "p1"));
    }
}

using Shoal.Execution;
using static Shoal.Tests.Execution.WorkerStateTestKit;

namespace Shoal.Tests.Execution;

/// <summary>
/// The worker's side of ahead-of-time assignment: the scheduler sends a task whose one missing input this worker is
/// computing (a dependency with no holder). The task waits here, starts in the same step as its input's completion,
/// and follows the scheduler's FreeKeys whatever becomes of the input.
/// </summary>
public class WorkerStateAheadOfTimeTests
{
    [Fact]
    public void A_task_behind_a_local_input_waits_and_starts_with_its_completion()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0), 0).ShouldBeInstructions(new Execute("a"));
        ws.ComputeTask(Task("b", 0, Dep("a", -1)), 0).ShouldBeInstructions(); // no holder: a computes here
        ws.ComputeTask(Task("c", 0, Dep("b", -1)), 0).ShouldBeInstructions();
        ws.StateOf("b").ShouldBe(WorkerTaskState.Waiting);
        ws.MissingKeys.ShouldBeEmpty(); // nothing to ask the scheduler about
        ws.TransferIncomingCount.ShouldBe(0);

        ws.ExecuteSuccess("a", 8, 1, 2).ShouldBeInstructions(new TaskDoneMsg("a", 8, 1, 2), new Execute("b"));
        ws.ExecuteSuccess("b", 8, 2, 3).ShouldBeInstructions(new TaskDoneMsg("b", 8, 2, 3), new Execute("c"));
        ws.ExecuteSuccess("c", 8, 3, 4).ShouldBeInstructions(new TaskDoneMsg("c", 8, 3, 4));
    }

    [Fact]
    public void A_task_behind_an_input_already_done_here_starts_at_once()
    {
        // The input's completion and the Compute crossed: the value is here already.
        var ws = NewState();
        ws.ComputeTask(Task("a", 0), 0);
        ws.ExecuteSuccess("a", 8, 1, 2);
        ws.ComputeTask(Task("b", 0, Dep("a", -1)), 0).ShouldBeInstructions(new Execute("b"));
    }

    [Fact]
    public void When_the_input_fails_the_task_waits_for_the_scheduler_to_free_it()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0), 0);
        ws.ComputeTask(Task("b", 0, Dep("a", -1)), 0);
        var error = TestPayloads.Error("boom");
        ws.ExecuteFailure("a", error, 1, 2).ShouldBeInstructions(new TaskFailedMsg("a", error, 1, 2));
        ws.StateOf("b").ShouldBe(WorkerTaskState.Waiting); // never runs on a failed input
        ws.StateOf("a").ShouldBe(WorkerTaskState.Error); // kept while b needs it
        ws.FreeKeys(["b"], 3).ShouldBeInstructions();
        ws.StateOf("b").ShouldBeNull();
        ws.StateOf("a").ShouldBeNull();
    }

    [Fact]
    public void Freed_before_its_input_is_done_the_task_is_forgotten_and_the_input_still_reported()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0), 0);
        ws.ComputeTask(Task("b", 0, Dep("a", -1)), 0);
        ws.FreeKeys(["b"], 1).ShouldBeInstructions();
        ws.StateOf("b").ShouldBeNull();
        ws.ExecuteSuccess("a", 8, 1, 2).ShouldBeInstructions(new TaskDoneMsg("a", 8, 1, 2));
    }

    [Fact]
    public void Both_freed_the_running_input_is_cancelled_and_its_value_dropped()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0), 0);
        ws.ComputeTask(Task("b", 0, Dep("a", -1)), 0);
        ws.FreeKeys(["b", "a"], 1).ShouldBeInstructions();
        ws.StateOf("a").ShouldBe(WorkerTaskState.Cancelled);
        ws.ExecuteSuccess("a", 8, 1, 2).ShouldBeInstructions(new ReleaseData("a"));
        ws.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void The_input_of_a_waiting_task_is_not_given_up_to_a_steal()
    {
        var ws = NewState();
        ws.ComputeTask(Task("blocker", 0), 0);
        ws.ComputeTask(Task("a", 0), 0);
        ws.ComputeTask(Task("b", 0, Dep("a", -1)), 0);
        ws.StealRequest("a", 0, 1).ShouldBeInstructions(new StealResponseMsg("a", false));
        ws.ExecuteSuccess("blocker", 1, 1, 2).ShouldBeInstructions(new TaskDoneMsg("blocker", 1, 1, 2), new Execute("a"));
    }

    [Fact]
    public void An_input_given_up_to_a_steal_before_the_task_arrived_is_then_missing_here()
    {
        // Why the scheduler sends nothing ahead behind an input with a steal in flight: once the victim gave the input
        // up, a task behind it has nowhere to get it from until the scheduler says where it went.
        var ws = NewState();
        ws.ComputeTask(Task("blocker", 0), 0);
        ws.ComputeTask(Task("a", 0), 0);
        ws.StealRequest("a", 0, 1).ShouldBeInstructions(new StealResponseMsg("a", true));
        ws.ComputeTask(Task("b", 0, Dep("a", -1)), 0).ShouldBeInstructions();
        ws.StateOf("a").ShouldBe(WorkerTaskState.Missing);
    }

    [Fact]
    public void A_reduction_waits_for_its_last_local_input_only()
    {
        var ws = NewState(nthreads: 2);
        ws.ComputeTask(Task("x", 0), 0);
        ws.ExecuteSuccess("x", 8, 0, 1);
        ws.ComputeTask(Task("a", 0), 0).ShouldBeInstructions(new Execute("a"));
        ws.ComputeTask(Task("sum", 0, Dep("x", 8, Self), Dep("a", -1)), 0).ShouldBeInstructions();
        ws.ExecuteSuccess("a", 8, 1, 2).ShouldBeInstructions(new TaskDoneMsg("a", 8, 1, 2), new Execute("sum"));
    }
}

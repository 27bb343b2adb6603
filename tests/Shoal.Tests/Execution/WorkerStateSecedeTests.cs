using Shoal.Execution;
using static Shoal.Tests.Execution.WorkerStateTestKit;

namespace Shoal.Tests.Execution;

/// <summary>A running task gives up its slot while it waits on other tasks (secede) and takes one back (rejoin).</summary>
public class WorkerStateSecedeTests
{
    [Fact]
    public void Seceding_frees_the_slot_for_the_next_ready_task_and_tells_the_scheduler()
    {
        var ws = NewState();
        ws.ComputeTask(Task("parent") with { RunId = 7 }, 0).ShouldBeInstructions(new Execute("parent", 7));
        ws.ComputeTask(Task("child"), 0).ShouldBeInstructions();
        ws.Secede("parent", 1).ShouldBeInstructions(new TaskSecededMsg("parent", 7), new Execute("child"));
        ws.Executing.ShouldBe(1);
        ws.SecededCount.ShouldBe(1);
        ws.StateOf("parent").ShouldBe(WorkerTaskState.Executing);
        ws.Secede("parent", 1).ShouldBeInstructions(); // once only
    }

    [Fact]
    public void Rejoin_waits_for_a_free_slot_and_comes_before_ready_tasks()
    {
        var ws = NewState();
        ws.ComputeTask(Task("parent"), 0);
        ws.ComputeTask(Task("child"), 0);
        ws.ComputeTask(Task("other"), 0);
        ws.Secede("parent", 1).ShouldBeInstructions(new TaskSecededMsg("parent", 0), new Execute("child"));
        ws.Rejoin("parent", 2).ShouldBeInstructions(); // the child holds the only slot
        ws.ExecuteSuccess("child", 8, 1, 2).ShouldBeInstructions(new TaskDoneMsg("child", 8, 1, 2), new RejoinGranted("parent"));
        ws.StateOf("other").ShouldBe(WorkerTaskState.Ready); // the parent took the slot first
        ws.SecededCount.ShouldBe(0);
        ws.Executing.ShouldBe(1);
        ws.ExecuteSuccess("parent", 8, 0, 3).ShouldBeInstructions(new TaskDoneMsg("parent", 8, 0, 3), new Execute("other"));
    }

    [Fact]
    public void Rejoin_is_granted_at_once_when_a_slot_is_free()
    {
        var ws = NewState(nthreads: 2);
        ws.ComputeTask(Task("parent"), 0);
        ws.Secede("parent", 1).ShouldBeInstructions(new TaskSecededMsg("parent", 0));
        ws.Rejoin("parent", 2).ShouldBeInstructions(new RejoinGranted("parent"));
        ws.Executing.ShouldBe(1);
        ws.Rejoin("parent", 2).ShouldBeInstructions(new RejoinGranted("parent")); // not seceded: it holds its slot
    }

    [Fact]
    public void A_seceded_task_that_ends_frees_no_slot()
    {
        var ws = NewState();
        ws.ComputeTask(Task("parent"), 0);
        ws.ComputeTask(Task("child"), 0);
        ws.ComputeTask(Task("other"), 0);
        ws.Secede("parent", 1);
        ws.ExecuteSuccess("parent", 8, 0, 2).ShouldBeInstructions(new TaskDoneMsg("parent", 8, 0, 2)); // child still runs
        ws.Executing.ShouldBe(1);
        ws.SecededCount.ShouldBe(0);
        ws.ExecuteSuccess("child", 8, 1, 3).ShouldBeInstructions(new TaskDoneMsg("child", 8, 1, 3), new Execute("other"));
    }

    [Fact]
    public void A_seceded_task_that_ends_while_waiting_to_rejoin_leaves_the_queue()
    {
        var ws = NewState();
        ws.ComputeTask(Task("parent"), 0);
        ws.ComputeTask(Task("child"), 0);
        ws.Secede("parent", 1);
        ws.Rejoin("parent", 2).ShouldBeInstructions();
        ws.ExecuteFailure("parent", TestPayloads.Error("boom"), 0, 3).ShouldBeInstructions(new TaskFailedMsg("parent", TestPayloads.Error("boom"), 0, 3));
        ws.ExecuteSuccess("child", 8, 1, 3).ShouldBeInstructions(new TaskDoneMsg("child", 8, 1, 3));
        ws.Executing.ShouldBe(0);
    }

    [Fact]
    public void Seceding_an_unknown_or_finished_task_does_nothing()
    {
        var ws = NewState();
        ws.Secede("nobody", 0).ShouldBeInstructions();
        ws.Rejoin("nobody", 0).ShouldBeInstructions(new RejoinGranted("nobody"));
        ws.Executing.ShouldBe(0);
    }
}

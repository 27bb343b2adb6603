using Shoal.Execution;
using static Shoal.Tests.Execution.WorkerStateTestKit;

namespace Shoal.Tests.Execution;

/// <summary>
/// The worker echoes the run id of the latest compute request for a key in every answer about it
/// (done, failed, rescheduled), and a steal request's run id in the steal response, so the
/// scheduler can tell an answer about an ended run from one about the current run.
/// </summary>
public class WorkerStateRunIdTests
{
    private static ComputeRequest Run(string key, long runId, params DependencySpec[] deps) => Task(key, 0, deps) with { RunId = runId };

    [Fact]
    public void Task_done_and_task_failed_carry_the_run_id_of_the_request()
    {
        var ws = NewState();
        ws.ComputeTask(Run("a", 7), 0).ShouldBeInstructions(new Execute("a", 7));
        ws.ComputeTask(Run("b", 8), 0).ShouldBeInstructions();
        ws.ExecuteSuccess("a", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("a", 1, 0, 1, 7), new Execute("b", 8));
        ws.ExecuteFailure("b", TestPayloads.Error("boom"), 1, 2).ShouldBeInstructions(new TaskFailedMsg("b", TestPayloads.Error("boom"), 1, 2, 8));
    }

    [Fact]
    public void A_key_already_in_memory_answers_the_new_run()
    {
        var ws = NewState();
        ws.ComputeTask(Run("a", 3), 0);
        ws.ExecuteSuccess("a", 5, 0, 1).ShouldBeInstructions(new TaskDoneMsg("a", 5, 0, 1, 3));
        ws.ComputeTask(Run("a", 9), 2).ShouldBeInstructions(new TaskDoneMsg("a", 5, 0, 1, 9));
    }

    [Fact]
    public void A_free_then_compute_crossing_an_execution_reports_the_newer_run()
    {
        // The run the scheduler ended (3) is still executing when the new request (4) arrives: the
        // execution continues and its outcome answers run 4.
        var ws = NewState();
        ws.ComputeTask(Run("a", 3), 0).ShouldBeInstructions(new Execute("a", 3));
        ws.FreeKeys(["a"], 1).ShouldBeInstructions();
        ws.StateOf("a").ShouldBe(WorkerTaskState.Cancelled);
        ws.ComputeTask(Run("a", 4), 2).ShouldBeInstructions(new TaskStartedMsg("a", 4)); // run 4 is executing: its start is reported
        ws.StateOf("a").ShouldBe(WorkerTaskState.Executing);
        ws.ExecuteSuccess("a", 2, 0, 3).ShouldBeInstructions(new TaskDoneMsg("a", 2, 0, 3, 4));
    }

    [Fact]
    public void A_task_done_sent_before_a_free_names_the_old_run_and_the_new_compute_runs_again()
    {
        // The crossing of seed 9891: done(run 3) is on its way when free and compute(run 4) arrive.
        var ws = NewState();
        ws.ComputeTask(Run("a", 3), 0);
        ws.ExecuteSuccess("a", 2, 0, 1).ShouldBeInstructions(new TaskDoneMsg("a", 2, 0, 1, 3));
        ws.FreeKeys(["a"], 2).ShouldBeInstructions(new ReleaseData("a"));
        ws.ComputeTask(Run("a", 4), 3).ShouldBeInstructions(new Execute("a", 4));
        ws.ExecuteSuccess("a", 2, 3, 4).ShouldBeInstructions(new TaskDoneMsg("a", 2, 3, 4, 4));
    }

    [Fact]
    public void A_reschedule_carries_the_run_id()
    {
        var ws = NewState();
        ws.ComputeTask(Run("a", 11), 0);
        ws.Reschedule("a", 1).ShouldBeInstructions(new RescheduleMsg("a", 11));
    }

    [Fact]
    public void A_steal_response_echoes_the_request_run_id()
    {
        var ws = NewState();
        ws.ComputeTask(Run("a", 1), 0);
        ws.ComputeTask(Run("b", 2), 0);
        ws.StealRequest("b", 2, 1).ShouldBeInstructions(new StealResponseMsg("b", true, 2));
        ws.StealRequest("a", 1, 1).ShouldBeInstructions(new StealResponseMsg("a", false, 1));
    }

    [Fact]
    public void A_gathered_value_that_answers_a_compute_carries_its_run_id()
    {
        var ws = NewState();
        ws.ComputeTask(Run("a", 1, Dep("x", 1, "p1")), 0);
        ws.ComputeTask(Run("x", 5), 2).ShouldBeInstructions();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Resumed);
        ws.GatherSuccess("p1", Received(("x", 4)), None, 3).ShouldBeInstructions(new TaskDoneMsg("x", 4, 3, 3, 5), new Execute("a", 1));
    }

    [Fact]
    public void Every_start_is_reported_with_its_run_id_and_a_new_run_of_an_executing_task_is_reported_again()
    {
        // The scheduler holds a worker's death only against what it executes: Execute carries the run id the
        // server reports as started, and a task that keeps running for a newer request reports that run too.
        var ws = NewState();
        ws.ComputeTask(Run("a", 3), 0).ShouldBeInstructions(new Execute("a", 3));
        ws.ComputeTask(Run("a", 3), 1).ShouldBeInstructions(); // the same run again: nothing new
        ws.ComputeTask(Run("a", 6), 1).ShouldBeInstructions(new TaskStartedMsg("a", 6));
        ws.ComputeTask(Run("b", 4), 1).ShouldBeInstructions(); // queued behind it: not started, not reported
        ws.ExecuteSuccess("a", 1, 0, 2).ShouldBeInstructions(new TaskDoneMsg("a", 1, 0, 2, 6), new Execute("b", 4));
    }
}

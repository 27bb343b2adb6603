using Shoal.Execution;
using static Shoal.Tests.Execution.WorkerStateTestKit;

namespace Shoal.Tests.Execution;

public class WorkerStateComputeTests
{
    [Fact]
    public void Task_without_dependencies_executes_at_once()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0).ShouldBeInstructions(new Execute("a"));
        ws.StateOf("a").ShouldBe(WorkerTaskState.Executing);
        TestPayloads.TextOf(ws.RunSpecOf("a")).ShouldBe("spec:a");
        ws.Executing.ShouldBe(1);
    }

    [Fact]
    public void Success_reports_done_and_starts_the_next_task_in_the_same_list()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b"), 0).ShouldBeInstructions();
        ws.StateOf("b").ShouldBe(WorkerTaskState.Ready);
        ws.ReadyCount.ShouldBe(1);

        ws.ExecuteSuccess("a", 100, 1.0, 2.0).ShouldBeInstructions(new TaskDoneMsg("a", 100, 1.0, 2.0), new Execute("b"));
        ws.StateOf("a").ShouldBe(WorkerTaskState.Memory);
        ws.ManagedBytes.ShouldBe(100);
        ws.DataKeys.ShouldBe([Kv("a", 100)]);
        ws.ReadyCount.ShouldBe(0);
    }

    [Fact]
    public void Failure_reports_error_and_starts_the_next_task()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b"), 0);
        var error = TestPayloads.Error("boom", "System.InvalidOperationException");
        ws.ExecuteFailure("a", error, 1, 2).ShouldBeInstructions(new TaskFailedMsg("a", error, 1, 2), new Execute("b"));
        ws.StateOf("a").ShouldBeNull(); // the scheduler sends no free-keys for a failed task: nothing else would drop it
    }

    [Fact]
    public void At_most_nthreads_tasks_execute()
    {
        var ws = NewState(nthreads: 2);
        ws.ComputeTask(Task("a"), 0).ShouldBeInstructions(new Execute("a"));
        ws.ComputeTask(Task("b"), 0).ShouldBeInstructions(new Execute("b"));
        ws.ComputeTask(Task("c"), 0).ShouldBeInstructions();
        ws.Executing.ShouldBe(2);
        ws.ExecuteSuccess("b", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("b", 1, 0, 1), new Execute("c"));
    }

    [Fact]
    public void Ready_tasks_run_by_priority_then_arrival()
    {
        var ws = NewState();
        ws.ComputeTask(Task("first", 0), 0);
        ws.ComputeTask(Task("low", 5), 0);
        ws.ComputeTask(Task("high1", 1), 0);
        ws.ComputeTask(Task("high2", 1), 0);
        ws.ComputeTask(Task("urgent", -3), 0);

        var order = new List<string>();
        string running = "first";
        for (int i = 0; i < 4; i++)
        {
            var next = ws.ExecuteSuccess(running, 1, 0, 0).OfType<Execute>().Single();
            order.Add(next.Key);
            running = next.Key;
        }
        order.ShouldBe(["urgent", "high1", "high2", "low"]);
    }

    [Fact]
    public void Compute_request_for_a_key_in_memory_answers_done_again()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ExecuteSuccess("a", 7, 1, 2);
        ws.ComputeTask(Task("a"), 5).ShouldBeInstructions(new TaskDoneMsg("a", 7, 1, 2));
    }

    [Fact]
    public void Compute_request_for_an_executing_or_queued_key_does_nothing_new()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b"), 0);
        ws.ComputeTask(Task("a"), 0).ShouldBeInstructions();
        ws.ComputeTask(Task("b"), 0).ShouldBeInstructions();
        ws.ReadyCount.ShouldBe(1);
        ws.ExecuteSuccess("a", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("a", 1, 0, 1), new Execute("b"));
    }

    [Fact]
    public void Compute_request_for_a_failed_key_retries_it()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ExecuteFailure("a", TestPayloads.Error("err"), 0, 1);
        ws.ComputeTask(Task("a"), 2).ShouldBeInstructions(new Execute("a"));
        ws.ExecuteSuccess("a", 3, 2, 3).ShouldBeInstructions(new TaskDoneMsg("a", 3, 2, 3));
    }

    [Fact]
    public void Pause_stops_new_executions_until_unpause()
    {
        var ws = NewState(nthreads: 2);
        ws.ComputeTask(Task("a"), 0);
        ws.Pause().ShouldBeInstructions();
        ws.ComputeTask(Task("b"), 0).ShouldBeInstructions();
        ws.ComputeTask(Task("c"), 0).ShouldBeInstructions();
        ws.ExecuteSuccess("a", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("a", 1, 0, 1));
        ws.Executing.ShouldBe(0);
        ws.Unpause().ShouldBeInstructions(new Execute("b"), new Execute("c"));
    }

    [Fact]
    public void Task_needing_a_resource_waits_constrained_until_it_is_free()
    {
        var ws = NewState(nthreads: 3, resources: new Dictionary<string, double> { ["GPU"] = 1 });
        var gpu = new Dictionary<string, double> { ["GPU"] = 1 };
        ws.ComputeTask(TaskWithResources("g1", 0, gpu), 0).ShouldBeInstructions(new Execute("g1"));
        ws.AvailableResources["GPU"].ShouldBe(0);
        ws.ComputeTask(TaskWithResources("g2", 0, gpu), 0).ShouldBeInstructions();
        ws.StateOf("g2").ShouldBe(WorkerTaskState.Constrained);
        // A task without resources still takes a free slot.
        ws.ComputeTask(Task("plain", 9), 0).ShouldBeInstructions(new Execute("plain"));

        ws.ExecuteSuccess("g1", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("g1", 1, 0, 1), new Execute("g2"));
        ws.AvailableResources["GPU"].ShouldBe(0);
        ws.ExecuteFailure("g2", TestPayloads.Error("x"), 1, 2).ShouldBeInstructions(new TaskFailedMsg("g2", TestPayloads.Error("x"), 1, 2));
        ws.AvailableResources["GPU"].ShouldBe(1);
    }

    [Fact]
    public void Fractional_resources_allow_several_tasks_at_once()
    {
        var ws = NewState(nthreads: 4, resources: new Dictionary<string, double> { ["MEM"] = 1.0 });
        var half = new Dictionary<string, double> { ["MEM"] = 0.5 };
        ws.ComputeTask(TaskWithResources("a", 0, half), 0).ShouldBeInstructions(new Execute("a"));
        ws.ComputeTask(TaskWithResources("b", 0, half), 0).ShouldBeInstructions(new Execute("b"));
        ws.ComputeTask(TaskWithResources("c", 0, half), 0).ShouldBeInstructions();
        ws.ExecuteSuccess("b", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("b", 1, 0, 1), new Execute("c"));
    }

    [Fact]
    public void Task_asking_for_an_undeclared_resource_never_runs()
    {
        var ws = NewState(nthreads: 2);
        ws.ComputeTask(TaskWithResources("g", 0, new Dictionary<string, double> { ["GPU"] = 1 }), 0).ShouldBeInstructions();
        ws.StateOf("g").ShouldBe(WorkerTaskState.Constrained);
        ws.ReadyCount.ShouldBe(1);
    }

    [Fact]
    public void Constrained_and_plain_tasks_share_slots_by_priority()
    {
        var ws = NewState(nthreads: 1, resources: new Dictionary<string, double> { ["GPU"] = 1 });
        var gpu = new Dictionary<string, double> { ["GPU"] = 1 };
        ws.ComputeTask(Task("first"), 0);
        ws.ComputeTask(Task("plain", 5), 0);
        ws.ComputeTask(TaskWithResources("gpu", 1, gpu), 0);
        ws.ExecuteSuccess("first", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("first", 1, 0, 1), new Execute("gpu"));
        ws.ExecuteSuccess("gpu", 1, 1, 2).ShouldBeInstructions(new TaskDoneMsg("gpu", 1, 1, 2), new Execute("plain"));
    }

    [Fact]
    public void Steal_of_a_queued_task_is_accepted_and_forgets_it()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b"), 0);
        ws.StealRequest("b", 0, 1).ShouldBeInstructions(new StealResponseMsg("b", true));
        ws.StateOf("b").ShouldBeNull();
        ws.ReadyCount.ShouldBe(0);
        ws.ExecuteSuccess("a", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("a", 1, 0, 1));
    }

    [Fact]
    public void Steal_of_a_waiting_task_drops_its_fetches()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b", 0, Dep("x", 10, "p1"), Dep("y", 10, "p1")), 0);
        // one gather for both, y queued behind nothing else: all in flight
        ws.StealRequest("b", 0, 1).ShouldBeInstructions(new StealResponseMsg("b", true));
        ws.StateOf("x").ShouldBe(WorkerTaskState.Cancelled);
        ws.GatherSuccess("p1", Received(("x", 10), ("y", 10)), None, 2)
            .ShouldBeInstructions(new ReleaseData("x"), new ReleaseData("y"));
        ws.StateOf("x").ShouldBeNull();
    }

    [Fact]
    public void Steal_of_an_executing_finished_or_unknown_task_is_rejected()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.StealRequest("a", 0, 1).ShouldBeInstructions(new StealResponseMsg("a", false));
        ws.StateOf("a").ShouldBe(WorkerTaskState.Executing);
        ws.ExecuteSuccess("a", 1, 0, 1);
        ws.StealRequest("a", 0, 1).ShouldBeInstructions(new StealResponseMsg("a", false));
        ws.StealRequest("nope", 0, 1).ShouldBeInstructions(new StealResponseMsg("nope", false));
    }

    [Fact]
    public void Steal_of_a_task_another_local_task_needs_is_rejected()
    {
        var ws = NewState();
        ws.ComputeTask(Task("blocker"), 0);
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b", 0, Dep("a", 1)), 0);
        ws.StealRequest("a", 0, 1).ShouldBeInstructions(new StealResponseMsg("a", false));
    }

    [Fact]
    public void Reschedule_frees_the_slot_and_tells_the_scheduler()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b"), 0);
        ws.Reschedule("a", 1).ShouldBeInstructions(new RescheduleMsg("a"), new Execute("b"));
        ws.StateOf("a").ShouldBeNull();
    }

    [Fact]
    public void Local_chain_runs_without_fetching()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b", 0, Dep("a", 0, "p1")), 0).ShouldBeInstructions();
        ws.StateOf("b").ShouldBe(WorkerTaskState.Waiting);
        ws.ExecuteSuccess("a", 5, 0, 1).ShouldBeInstructions(new TaskDoneMsg("a", 5, 0, 1), new Execute("b"));
        ws.ExecuteSuccess("b", 5, 1, 2).ShouldBeInstructions(new TaskDoneMsg("b", 5, 1, 2));
        ws.StateOf("a").ShouldBe(WorkerTaskState.Memory);
    }

    [Fact]
    public void Dependency_already_in_memory_needs_nothing()
    {
        var ws = NewState();
        ws.DataPut([Kv("x", 10)], 0).ShouldBeInstructions();
        ws.ComputeTask(Task("a", 0, Dep("x", 10, "p1")), 0).ShouldBeInstructions(new Execute("a"));
    }

    [Fact]
    public void Data_put_satisfies_a_queued_compute_task()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a"), 0);
        ws.ComputeTask(Task("b"), 0);
        ws.DataPut([Kv("b", 4)], 1).ShouldBeInstructions();
        ws.StateOf("b").ShouldBe(WorkerTaskState.Memory);
        ws.ReadyCount.ShouldBe(0);
        ws.ExecuteSuccess("a", 1, 0, 1).ShouldBeInstructions(new TaskDoneMsg("a", 1, 0, 1));
    }

    [Fact]
    public void Dependency_keys_are_listed_while_the_task_runs()
    {
        var ws = NewState();
        ws.DataPut([Kv("x", 1), Kv("y", 1)], 0);
        ws.ComputeTask(Task("a", 0, Dep("y", 1), Dep("x", 1), Dep("y", 1)), 0).ShouldBeInstructions(new Execute("a"));
        ws.DependencyKeysOf("a").ShouldBe(["y", "x"]);
        ws.ExecuteSuccess("a", 1, 0, 1);
        ws.DependencyKeysOf("a").ShouldBeEmpty();
        ws.DependencyKeysOf("unknown").ShouldBeEmpty();
    }
}

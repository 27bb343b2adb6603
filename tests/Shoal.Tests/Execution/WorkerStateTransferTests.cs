using Shoal.Execution;
using static Shoal.Tests.Execution.WorkerStateTestKit;

namespace Shoal.Tests.Execution;

public class WorkerStateTransferTests
{
    [Fact]
    public void Remote_dependency_is_gathered_then_the_task_runs()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 10, "p1")), 0).ShouldBeInstructions(new GatherDep("p1", ["x"], 10));
        ws.StateOf("x").ShouldBe(WorkerTaskState.Flight);
        ws.StateOf("a").ShouldBe(WorkerTaskState.Waiting);
        ws.TransferIncomingCount.ShouldBe(1);

        ws.GatherSuccess("p1", Received(("x", 12)), None, 1)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 12)]), new Execute("a"));
        ws.StateOf("x").ShouldBe(WorkerTaskState.Memory);
        ws.TransferIncomingCount.ShouldBe(0);
    }

    [Fact]
    public void Fetched_dependency_stays_as_a_replica_until_freed()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 10, "p1")), 0);
        ws.GatherSuccess("p1", Received(("x", 10)), None, 1);
        ws.ExecuteSuccess("a", 1, 1, 2).ShouldBeInstructions(new TaskDoneMsg("a", 1, 1, 2));
        ws.StateOf("x").ShouldBe(WorkerTaskState.Memory);
        ws.FreeKeys(["x"], 3).ShouldBeInstructions(new ReleaseData("x"));
        ws.StateOf("x").ShouldBeNull();
        ws.ManagedBytes.ShouldBe(1);
    }

    [Fact]
    public void Dependency_shared_by_several_tasks_is_fetched_once()
    {
        var ws = NewState(nthreads: 2);
        ws.ComputeTask(Task("a", 0, Dep("x", 10, "p1")), 0).ShouldBeInstructions(new GatherDep("p1", ["x"], 10));
        ws.ComputeTask(Task("b", 0, Dep("x", 10, "p1")), 0).ShouldBeInstructions();
        ws.GatherSuccess("p1", Received(("x", 10)), None, 1)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 10)]), new Execute("a"), new Execute("b"));
    }

    [Fact]
    public void Keys_from_one_peer_are_batched_up_to_the_target_size()
    {
        var ws = NewState(targetBytes: 100);
        ws.ComputeTask(Task("a", 0, Dep("x", 40, "p1"), Dep("y", 40, "p1"), Dep("z", 40, "p1")), 0)
            .ShouldBeInstructions(new GatherDep("p1", ["x", "y"], 80));
        ws.StateOf("z").ShouldBe(WorkerTaskState.Fetch);
        // One gather per peer: z follows when the first comes back.
        ws.GatherSuccess("p1", Received(("x", 40), ("y", 40)), None, 1)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 40), Kv("y", 40)]), new GatherDep("p1", ["z"], 40));
        ws.GatherSuccess("p1", Received(("z", 40)), None, 2)
            .ShouldBeInstructions(new AddKeysMsg([Kv("z", 40)]), new Execute("a"));
    }

    [Fact]
    public void A_key_larger_than_the_target_is_still_gathered_alone()
    {
        var ws = NewState(targetBytes: 10);
        ws.ComputeTask(Task("a", 0, Dep("big", 1000, "p1"), Dep("small", 1, "p1")), 0)
            .ShouldBeInstructions(new GatherDep("p1", ["big"], 1000));
    }

    [Fact]
    public void Batches_follow_the_priority_of_the_tasks_that_need_them()
    {
        var ws = NewState(targetBytes: 10);
        ws.ComputeTask(Task("busy"), 0); // occupies the only slot, irrelevant to transfers
        ws.ComputeTask(Task("late", 9, Dep("x", 10, "p1"), Dep("y", 10, "p1")), 0)
            .ShouldBeInstructions(new GatherDep("p1", ["x"], 10));
        ws.ComputeTask(Task("soon", 1, Dep("z", 10, "p1")), 0).ShouldBeInstructions();
        ws.GatherSuccess("p1", Received(("x", 10)), None, 1)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 10)]), new GatherDep("p1", ["z"], 10));
    }

    [Fact]
    public void Gathers_in_flight_are_limited_in_total()
    {
        var ws = NewState(transferLimit: 2);
        ws.ComputeTask(Task("a", 0, Dep("x1", 1, "p1"), Dep("x2", 1, "p2"), Dep("x3", 1, "p3")), 0)
            .ShouldBeInstructions(new GatherDep("p1", ["x1"], 1), new GatherDep("p2", ["x2"], 1));
        ws.GatherSuccess("p2", Received(("x2", 1)), None, 1)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x2", 1)]), new GatherDep("p3", ["x3"], 1));
    }

    [Fact]
    public void A_holder_without_a_gather_in_flight_is_preferred()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 0).ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
        ws.ComputeTask(Task("b", 0, Dep("y", 1, "p1", "p2")), 0).ShouldBeInstructions(new GatherDep("p2", ["y"], 1));
    }

    [Fact]
    public void Key_missing_at_one_holder_is_tried_at_another()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1", "p2")), 0).ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
        ws.GatherSuccess("p1", [], ["x"], 1).ShouldBeInstructions(new GatherDep("p2", ["x"], 1));
        ws.GatherSuccess("p2", Received(("x", 1)), None, 2)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 1)]), new Execute("a"));
    }

    [Fact]
    public void Key_not_delivered_without_being_listed_missing_counts_as_missing()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1"), Dep("y", 1, "p1", "p2")), 0)
            .ShouldBeInstructions(new GatherDep("p1", ["x", "y"], 2));
        ws.GatherSuccess("p1", Received(("x", 1)), None, 1)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 1)]), new GatherDep("p2", ["y"], 1));
    }

    [Fact]
    public void Key_with_no_holder_left_is_reported_missing_and_waits_for_who_has()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 0);
        ws.GatherSuccess("p1", [], ["x"], 1).ShouldBeInstructions(new MissingDataMsg("x", "p1"));
        ws.StateOf("x").ShouldBe(WorkerTaskState.Missing);
        ws.MissingKeys.ShouldBe(["x"]);
        ws.UpdateWhoHas("x", ["p3"], 2).ShouldBeInstructions(new GatherDep("p3", ["x"], 1));
        ws.MissingKeys.ShouldBeEmpty();
        ws.GatherSuccess("p3", Received(("x", 1)), None, 3)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 1)]), new Execute("a"));
    }

    [Fact]
    public void Dependency_without_any_holder_starts_missing_silently()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1)), 0).ShouldBeInstructions();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Missing);
        ws.MissingKeys.ShouldBe(["x"]);
        ws.UpdateWhoHas("x", [], 1).ShouldBeInstructions();
        ws.UpdateWhoHas("x", [Self, "p1"], 1).ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
    }

    [Fact]
    public void Own_address_is_never_a_holder()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, Self)), 0).ShouldBeInstructions();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Missing);
    }

    [Fact]
    public void Gather_failure_drops_the_peer_for_every_key_queued_for_it()
    {
        var ws = NewState(targetBytes: 1);
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1", "p2"), Dep("y", 1, "p1"), Dep("z", 1, "p1", "p2")), 0)
            .ShouldBeInstructions(new GatherDep("p1", ["x"], 1), new GatherDep("p2", ["z"], 1));
        ws.GatherFailure("p1", ["x"], "connection refused", 1)
            .ShouldBeInstructions(new MissingDataMsg("y", "p1"));
        ws.StateOf("x").ShouldBe(WorkerTaskState.Fetch);
        ws.StateOf("y").ShouldBe(WorkerTaskState.Missing);
        ws.GatherSuccess("p2", Received(("z", 1)), None, 2)
            .ShouldBeInstructions(new AddKeysMsg([Kv("z", 1)]), new GatherDep("p2", ["x"], 1));
    }

    [Fact]
    public void Gather_failure_of_the_only_holder_reports_missing()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 0);
        ws.GatherFailure("p1", ["x"], "timeout", 1).ShouldBeInstructions(new MissingDataMsg("x", "p1"));
    }

    [Fact]
    public void Update_who_has_adds_holders_to_a_queued_key()
    {
        var ws = NewState(transferLimit: 1);
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1"), Dep("y", 1, "p2")), 0)
            .ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
        ws.UpdateWhoHas("y", ["p1", "p3"], 1).ShouldBeInstructions();
        ws.GatherSuccess("p1", Received(("x", 1)), None, 2)
            .ShouldBeInstructions(new AddKeysMsg([Kv("x", 1)]), new GatherDep("p1", ["y"], 1));
    }

    [Fact]
    public void Paused_worker_gathers_one_at_a_time()
    {
        var ws = NewState();
        ws.Pause();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1"), Dep("y", 1, "p2")), 0)
            .ShouldBeInstructions(new GatherDep("p1", ["x"], 1));
        ws.Unpause().ShouldBeInstructions(new GatherDep("p2", ["y"], 1));
    }

    [Fact]
    public void Scattered_value_satisfies_a_dependency_being_fetched()
    {
        var ws = NewState();
        ws.ComputeTask(Task("a", 0, Dep("x", 1, "p1")), 0);
        ws.DataPut([Kv("x", 5)], 1).ShouldBeInstructions(new Execute("a"));
        // The late gather result is ignored (the value is already here and wanted).
        ws.GatherSuccess("p1", Received(("x", 5)), None, 2).ShouldBeInstructions();
        ws.StateOf("x").ShouldBe(WorkerTaskState.Memory);
        ws.ManagedBytes.ShouldBe(5);
    }

    [Fact]
    public void Gather_result_for_an_unknown_peer_releases_untracked_values()
    {
        var ws = NewState();
        ws.DataPut([Kv("kept", 1)], 0);
        ws.GatherSuccess("p9", Received(("stray", 1), ("kept", 1)), None, 1).ShouldBeInstructions(new ReleaseData("stray"));
    }

    [Fact]
    public void Find_missing_asks_the_scheduler_for_keys_without_holders()
    {
        var ws = NewState();
        ws.FindMissing(0).ShouldBeInstructions();
        ws.ComputeTask(Task("a", 0, Dep("x", 1), Dep("y", 1, "p1")), 0);
        ws.FindMissing(1).ShouldBeInstructions(new RequestWhoHasMsg(["x"]));
    }
}

using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

public class QueuingTests
{
    private static TaskSpecification[] Roots(string prefix, int n, long priority = 0) =>
        Enumerable.Range(0, n).Select(i => { var t = Task($"{prefix}-{i}"); t.Priority = priority; return t; }).ToArray();

    [Fact]
    public void Root_tasks_are_released_only_into_free_slots()
    {
        var h = new SchedulerHarness(new SchedulerConfig { RoundTrip = 0.5 });
        h.AddWorker(0);
        // Unknown group: 0.5 s, so slots = max(ceil(1 × 1.1), 1 + ceil(0.5 / 0.5)) = 2.
        h.Submit(Roots("inc", 10)).ShouldBe(["Compute w0 inc-0", "Compute w0 inc-1"]);
        h.State.QueuedCount.ShouldBe(8);
        h.State.SlotsOf(0).ShouldBe(2);

        // Measured 0.125 s: slots = 1 + ceil(0.5 / 0.125) = 5, so 4 more go out.
        h.Finish(0, "inc-0", duration: 0.125)
            .ShouldBe(["KeyInMemory c1 inc-0", "Compute w0 inc-2", "Compute w0 inc-3", "Compute w0 inc-4", "Compute w0 inc-5"]);
        h.State.SlotsOf(0).ShouldBe(5);
        h.State.QueuedCount.ShouldBe(4);
    }

    [Fact]
    public void Pipelining_is_capped()
    {
        var h = new SchedulerHarness(new SchedulerConfig { RoundTrip = 0.5, MaxPipelinedPerWorker = 3 });
        h.AddWorker(0);
        h.Submit(Roots("inc", 10));
        h.Finish(0, "inc-0", duration: 0.001).ShouldBe(["KeyInMemory c1 inc-0", "Compute w0 inc-2", "Compute w0 inc-3"]);
        h.State.SlotsOf(0).ShouldBe(3);
    }

    [Fact]
    public void Saturation_follows_threads_for_long_tasks()
    {
        var h = new SchedulerHarness(new SchedulerConfig { WorkerSaturation = 1.5 });
        h.AddWorker(0, 4);
        h.Submit(Roots("slow", 20)).Count.ShouldBe(6); // ceil(4 × 1.5) = 6 > 4 + ceil(4 × 0.001 / 0.5) = 5
        h.State.QueuedCount.ShouldBe(14);
    }

    [Fact]
    public void Infinite_saturation_disables_queuing()
    {
        var h = new SchedulerHarness(new SchedulerConfig { WorkerSaturation = double.PositiveInfinity });
        h.AddWorker(0);
        h.Submit(Roots("inc", 10)).Count.ShouldBe(10);
        h.State.QueuedCount.ShouldBe(0);
        h.State.CountInState(TaskState.Processing).ShouldBe(10);
    }

    [Fact]
    public void A_joining_worker_gets_queued_work_at_once()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Roots("inc", 10)).Count.ShouldBe(2);
        h.AddWorker(1).ShouldBe(["Compute w1 inc-2", "Compute w1 inc-3"]);
        h.AddWorker(2, 2).ShouldBe(["Compute w2 inc-4", "Compute w2 inc-5", "Compute w2 inc-6"]); // ceil(2 × 1.1) = 3
    }

    [Fact]
    public void Higher_user_priority_runs_first()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Roots("a", 4)).ShouldBe(["Compute w0 a-0", "Compute w0 a-1"]);
        h.Submit(Roots("b", 2, priority: 10)).ShouldBeEmpty();
        h.Finish(0, "a-0").ShouldBe(["KeyInMemory c1 a-0", "Compute w0 b-0"]);
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1", "Compute w0 b-1"]);
        h.Finish(0, "b-0").ShouldBe(["KeyInMemory c1 b-0", "Compute w0 a-2"]);
    }

    [Fact]
    public void Earlier_graphs_run_first()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Roots("a", 3));
        h.Submit(Roots("b", 3));
        h.Finish(0, "a-0").ShouldBe(["KeyInMemory c1 a-0", "Compute w0 a-2"]);
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1", "Compute w0 b-0"]);
    }

    [Fact]
    public void Within_a_graph_dependencies_come_first_depth_first()
    {
        var h = new SchedulerHarness(new SchedulerConfig { WorkerSaturation = double.PositiveInfinity });
        h.AddWorker(0);
        // A tree reduction listed backwards: the order must not depend on the listing.
        h.Submit(
            Task("sum-root", "sum-1", "sum-2"),
            Task("sum-2", "leaf-2", "leaf-3"),
            Task("sum-1", "leaf-0", "leaf-1"),
            Task("leaf-3"), Task("leaf-2"), Task("leaf-1"), Task("leaf-0"))
            .ShouldBe(["Compute w0 leaf-0", "Compute w0 leaf-1", "Compute w0 leaf-2", "Compute w0 leaf-3"]);
        long Seq(string k) => h.State.SequenceOf(h.State.TaskIdOf(k));
        Seq("leaf-1").ShouldBeLessThan(Seq("sum-1"));
        Seq("sum-1").ShouldBeLessThan(Seq("leaf-2")); // depth first: finish a subtree before the next
        Seq("sum-2").ShouldBeLessThan(Seq("sum-root"));
        h.State.RunOrderOf(h.State.TaskIdOf("leaf-0")).ShouldBeGreaterThan(h.State.RunOrderOf(h.State.TaskIdOf("leaf-1")));
    }

    [Fact]
    public void Compute_commands_for_ready_dependents_come_in_priority_order()
    {
        var h = new SchedulerHarness(new SchedulerConfig { WorkerSaturation = double.PositiveInfinity });
        h.AddWorker(0);
        h.Scatter(1, [0], true, ("x-1", 8));
        var f1 = Task("f-1", "x-1");
        var f2 = Task("f-2", "x-1");
        f2.Priority = 5;
        var f3 = Task("f-3", "x-1");
        f3.Priority = 1;
        h.Submit(f1, f2, f3).ShouldBe(["Compute w0 f-2", "Compute w0 f-3", "Compute w0 f-1"]);
        h.State.PriorityOf(h.State.TaskIdOf("f-2")).ShouldBe(5);
    }
}

public class AdaptiveTests
{
    [Fact]
    public void The_target_follows_the_backlog_and_the_parallelism()
    {
        var h = new SchedulerHarness();
        h.State.AdaptiveTarget().ShouldBe(0);
        h.Submit(Enumerable.Range(0, 30).Select(i => SchedulerHarness.Task($"inc-{i}")).ToArray());
        h.State.AdaptiveTarget().ShouldBe(3); // 30 × 0.5 s over 5 s
        h.State.AdaptiveTarget(targetDuration: 0.001).ShouldBe(30); // no more than the tasks
        h.AddWorker(0);
        h.Finish(0, "inc-0", duration: 0.001);
        h.State.AdaptiveTarget().ShouldBe(1); // tiny tasks: one worker is plenty (and it holds a result)
    }

    [Fact]
    public void Idle_workers_with_least_data_close_first()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.AddWorker(2);
        h.Scatter(1, [0], true, ("x-1", 1000));
        h.Scatter(1, [1], true, ("y-1", 10));
        var busy = SchedulerHarness.Task("inc-1");
        busy.Workers = ["w2"];
        h.Submit(busy).ShouldBe(["Compute w2 inc-1"]);
        h.State.WorkersToClose(2).ShouldBe([1, 0]);
        h.State.WorkersToClose(5).ShouldBe([1, 0, 2]);
    }
}

using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

public class TransitionTests
{
    [Fact]
    public void A_task_goes_released_waiting_processing_memory_forgotten()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0).ShouldBeEmpty();
        h.Submit(Task("inc-1")).ShouldBe(["Compute w0 inc-1"]);
        h.State.StateOf("inc-1").ShouldBe(TaskState.Processing);
        TestPayloads.TextOf(h.State.RunSpecOf(h.State.TaskIdOf("inc-1"))).ShouldBe("run inc-1");

        h.Finish(0, "inc-1", nbytes: 80, duration: 0.25).ShouldBe(["KeyInMemory c1 inc-1"]);
        h.State.StateOf("inc-1").ShouldBe(TaskState.Memory);
        h.Holders("inc-1").ShouldBe([0]);
        h.State.NbytesOf(h.State.TaskIdOf("inc-1")).ShouldBe(80);
        h.State.GroupDuration("inc").ShouldBe(0.25);

        h.Release(1, "inc-1").ShouldBe(["FreeKeys w0 inc-1"]);
        h.State.StateOf("inc-1").ShouldBeNull();
        h.State.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void A_dependent_waits_for_its_input_and_the_input_is_freed_once_consumed()
    {
        var h = SchedulerHarness.WithoutAheadOfTime();
        h.AddWorker(0);
        var a = Task("a-1");
        a.Wanted = false;
        h.Submit(a, Task("b-1", "a-1")).ShouldBe(["Compute w0 a-1"]);
        h.State.StateOf("b-1").ShouldBe(TaskState.Waiting);

        h.Finish(0, "a-1").ShouldBe(["Compute w0 b-1"]);
        h.State.DependenciesOf(h.State.TaskIdOf("b-1")).ToArray().ShouldBe([h.State.TaskIdOf("a-1")]);

        h.Finish(0, "b-1").ShouldBe(["KeyInMemory c1 b-1", "FreeKeys w0 a-1"]);
        h.State.StateOf("a-1").ShouldBe(TaskState.Released); // kept while its dependent exists
        h.Release(1, "b-1").ShouldBe(["FreeKeys w0 b-1"]);
        h.State.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void Identical_keys_are_one_task_for_every_client()
    {
        var h = new SchedulerHarness();
        h.State.AddClient(2);
        h.State.AddClient(3);
        h.AddWorker(0);
        h.Submit(1, Task("inc-1")).ShouldBe(["Compute w0 inc-1"]);
        h.Submit(1, Task("inc-1")).ShouldBeEmpty();
        h.Submit(2, Task("inc-1")).ShouldBeEmpty();
        h.State.TaskCount.ShouldBe(1);

        h.Finish(0, "inc-1").ShouldBe(["KeyInMemory c1 inc-1", "KeyInMemory c2 inc-1"]);
        h.Submit(3, Task("inc-1")).ShouldBe(["KeyInMemory c3 inc-1"]);
        h.Submit(1, Task("inc-1")).ShouldBe(["KeyInMemory c1 inc-1"]); // a resubmission is answered too

        h.Release(1, "inc-1").ShouldBeEmpty();
        h.Release(2, "inc-1").ShouldBeEmpty();
        h.Release(3, "inc-1").ShouldBe(["FreeKeys w0 inc-1"]);
        h.State.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void A_task_without_workers_is_queued_until_one_joins()
    {
        var h = new SchedulerHarness();
        h.Submit(Task("inc-1")).ShouldBeEmpty();
        h.State.StateOf("inc-1").ShouldBe(TaskState.Queued);
        h.AddWorker(0).ShouldBe(["Compute w0 inc-1"]);
    }

    [Fact]
    public void A_non_root_task_without_workers_is_no_worker_until_one_joins()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Scatter(1, [0], true, ("x-1", 8)).ShouldBe(["KeyInMemory c1 x-1"]);
        h.Submit(Task("f-1", "x-1")).ShouldBe(["Compute w0 f-1"]);
        h.RemoveWorker(0).ShouldBe(["KeyErred c1 x-1", "KeyErred c1 f-1"]); // scattered data cannot be recomputed
        h.State.ErrorOf(h.State.TaskIdOf("f-1")).ShouldBe(new DataLostError("x-1"));

        h.AddWorker(1);
        h.Scatter(1, [1], true, ("y-1", 8));
        h.Submit(Task("g-1", "y-1")).ShouldBe(["Compute w1 g-1"]);
        h.Reschedule(1, "g-1").ShouldBe(["Compute w1 g-1"]);
    }

    [Fact]
    public void Durations_are_measured_per_group_and_drive_occupancy()
    {
        var h = new SchedulerHarness(new SchedulerConfig { WorkerSaturation = double.PositiveInfinity });
        h.AddWorker(0);
        h.Submit(Task("inc-1"), Task("inc-2"), Task("dec-1"));
        h.State.OccupancyOf(0).ShouldBe(1.5, 1e-6); // three unknown-group tasks at 0.5 s
        h.Finish(0, "inc-1", duration: 0.1);
        h.State.GroupDuration("inc").ShouldBe(0.1);
        h.State.GroupDuration("dec").ShouldBeNull();
        h.Submit(Task("inc-3"));
        h.State.OccupancyOf(0).ShouldBe(0.5 + 0.5 + 0.1, 1e-6);
        SchedulerState.GroupOf("my-func-3f2a").ShouldBe("my-func");
        SchedulerState.GroupOf("single").ShouldBe("single");
    }

    [Fact]
    public void Unknown_dependency_errs_the_task()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Task("f-1", "nope-1")).ShouldBe(["KeyErred c1 f-1"]);
        h.State.ErrorOf(h.State.TaskIdOf("f-1")).ShouldBe(new MissingDependencyError("f-1", "nope-1"));
        h.Release(1, "f-1").ShouldBeEmpty();
        h.State.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void Tasks_nobody_wants_are_not_kept()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        var t = Task("inc-1");
        t.Wanted = false;
        h.Submit(t).ShouldBeEmpty();
        h.State.TaskCount.ShouldBe(0);
    }
}

public class CycleTests
{
    [Fact]
    public void A_dependency_cycle_errs_instead_of_hanging()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        var result = h.Submit(SchedulerHarness.Task("x-1", "y-1"), SchedulerHarness.Task("y-1", "z-1"), SchedulerHarness.Task("z-1", "x-1"));
        result.Count.ShouldBe(3);
        result.ShouldAllBe(c => c.StartsWith("KeyErred c1 "));
        h.State.ErrorOf(h.State.TaskIdOf("x-1")).ShouldBeOfType<DependencyCycleError>();
        h.Release(1, "x-1", "y-1", "z-1");
        h.State.TaskCount.ShouldBe(0);
    }
}

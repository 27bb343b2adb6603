using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

public class PlacementTests
{
    [Fact]
    public void Data_locality_first_then_occupancy()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Scatter(1, [1], true, ("x-1", 100_000_000)); // 1 s to move
        h.Scatter(1, [1], true, ("y-1", 1));

        h.Submit(Task("f-1", "x-1")).ShouldBe(["Compute w1 f-1"]);
        h.Submit(Task("g-1", "x-1")).ShouldBe(["Compute w1 g-1"]); // 0.5 s queued < 1 s transfer
        h.Submit(Task("h-1", "y-1")).ShouldBe(["Compute w0 h-1"]); // tiny input, w1 is busy
    }

    [Fact]
    public void Root_tasks_spread_over_the_least_loaded_workers()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Enumerable.Range(0, 4).Select(i => Task($"inc-{i}")).ToArray())
            .ShouldBe(["Compute w0 inc-0", "Compute w1 inc-1", "Compute w0 inc-2", "Compute w1 inc-3"]);
    }

    [Fact]
    public void Hard_restrictions_wait_for_a_matching_worker()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        var byName = Task("r-1");
        byName.Workers = ["w5"];
        var byAddress = Task("r-2");
        byAddress.Workers = ["tcp://w6:1"];
        h.Submit(byName, byAddress).ShouldBeEmpty();
        h.State.StateOf("r-1").ShouldBe(TaskState.NoWorker);
        h.State.StateOf("r-2").ShouldBe(TaskState.NoWorker);
        h.AddWorker(5).ShouldBe(["Compute w5 r-1"]);
        h.AddWorker(6).ShouldBe(["Compute w6 r-2"]);
    }

    [Fact]
    public void Loose_restrictions_are_a_preference()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        var t = Task("r-1");
        t.Workers = ["w5"];
        t.AllowOtherWorkers = true;
        h.Submit(t).ShouldBe(["Compute w0 r-1"]);

        h.AddWorker(5);
        h.Submit(Task("busy-1"), Task("busy-2")); // w0 gets busy-1, w5 busy-2 (least loaded)
        var u = Task("r-2");
        u.Workers = ["w5"];
        u.AllowOtherWorkers = true;
        h.Submit(u).ShouldBe(["Compute w5 r-2"]);
    }

    [Fact]
    public void Resources_limit_what_runs_at_once_and_where()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0, Spec("w0", nthreads: 4));
        h.AddWorker(1, Spec("w1", nthreads: 4, resources: new() { ["GPU"] = 1 }));
        var gpu = Enumerable.Range(1, 3).Select(i =>
        {
            var t = Task($"g-{i}");
            t.Resources = new Dictionary<string, double> { ["GPU"] = 1 };
            return t;
        }).ToArray();
        h.Submit(gpu).ShouldBe(["Compute w1 g-1"]);
        h.State.CountInState(TaskState.Queued).ShouldBe(2);
        h.State.ResourcesOf(h.State.TaskIdOf("g-1"))!["GPU"].ShouldBe(1);

        h.Finish(1, "g-1").ShouldBe(["KeyInMemory c1 g-1", "Compute w1 g-2"]);

        var big = Task("big-1");
        big.Resources = new Dictionary<string, double> { ["GPU"] = 2 };
        h.Submit(big).ShouldBeEmpty();
        h.State.StateOf("big-1").ShouldBe(TaskState.NoWorker);
        h.AddWorker(2, Spec("w2", resources: new() { ["GPU"] = 2 })).ShouldBe(["Compute w2 big-1"]); // uses both units
        h.State.StateOf("g-3").ShouldBe(TaskState.Queued);
        h.Finish(2, "big-1").ShouldBe(["KeyInMemory c1 big-1", "Compute w2 g-3"]);
    }
}

public class ResourceLossTests
{
    [Fact]
    public void Tasks_waiting_for_a_resource_become_no_worker_when_its_last_worker_leaves()
    {
        var h = new SchedulerHarness();
        h.AddWorker(1, SchedulerHarness.Spec("w1", resources: new() { ["GPU"] = 1 }));
        var tasks = Enumerable.Range(1, 2).Select(i =>
        {
            var t = SchedulerHarness.Task($"g-{i}");
            t.Resources = new Dictionary<string, double> { ["GPU"] = 1 };
            return t;
        }).ToArray();
        h.Submit(tasks).ShouldBe(["Compute w1 g-1"]);
        h.RemoveWorker(1).ShouldBeEmpty();
        h.State.StateOf("g-1").ShouldBe(TaskState.NoWorker);
        h.State.StateOf("g-2").ShouldBe(TaskState.NoWorker);
        h.AddWorker(2, SchedulerHarness.Spec("w2", resources: new() { ["GPU"] = 1 })).ShouldBe(["Compute w2 g-1"]);
    }
}

using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>A task that waits on other tasks gives up its slot: the scheduler stops counting it against its worker.</summary>
public class SecedeTests
{
    private static TaskSpecification[] Roots(string prefix, int n) => Enumerable.Range(0, n).Select(i => Task($"{prefix}-{i}")).ToArray();

    private static List<string> Secede(SchedulerHarness h, int worker, string key, long run)
    {
        h.State.TaskSeceded(worker, key, run, h.Now);
        h.State.Validate();
        return h.Collect();
    }

    private static SchedulerHarness OneSlotWorker()
    {
        // Long tasks, no round trip: one slot per thread.
        var h = new SchedulerHarness(new SchedulerConfig { RoundTrip = 0, WorkerSaturation = 1.0 });
        h.AddWorker(0);
        return h;
    }

    [Fact]
    public void A_seceded_task_frees_its_slot_for_queued_root_tasks()
    {
        var h = OneSlotWorker();
        h.Submit(Task("parent")).ShouldBe(["Compute w0 parent"]);
        h.Started(0, "parent");
        h.Submit(Roots("child", 2)).ShouldBeEmpty(); // the parent holds the only slot
        h.State.QueuedCount.ShouldBe(2);

        Secede(h, 0, "parent", h.RunOf("parent")).ShouldBe(["Compute w0 child-0"]);
        h.State.IsLongRunning(h.State.TaskIdOf("parent")).ShouldBeTrue();
        h.State.LongRunningCount(0).ShouldBe(1);
        h.State.ProcessingCount(0).ShouldBe(1);
        h.Processing(0).ShouldBe(["parent", "child-0"]);

        h.Finish(0, "child-0").ShouldBe(["KeyInMemory c1 child-0", "Compute w0 child-1"]);
        h.Finish(0, "child-1").ShouldBe(["KeyInMemory c1 child-1"]);
        h.Finish(0, "parent").ShouldBe(["KeyInMemory c1 parent"]);
        h.State.LongRunningCount(0).ShouldBe(0);
        h.State.ProcessingCount(0).ShouldBe(0);
    }

    [Fact]
    public void A_stale_or_repeated_secession_is_ignored()
    {
        var h = OneSlotWorker();
        h.Submit(Task("parent"));
        h.Submit(Roots("child", 1)).ShouldBeEmpty();
        Secede(h, 0, "parent", h.RunOf("parent") + 1).ShouldBeEmpty();
        Secede(h, 5, "parent", h.RunOf("parent")).ShouldBeEmpty(); // not its worker
        Secede(h, 0, "parent", h.RunOf("parent")).ShouldBe(["Compute w0 child-0"]);
        Secede(h, 0, "parent", h.RunOf("parent")).ShouldBeEmpty();
        h.State.LongRunningCount(0).ShouldBe(1);
    }

    [Fact]
    public void A_seceded_task_on_a_dying_worker_is_placed_again_and_counts_the_death()
    {
        var h = OneSlotWorker();
        h.AddWorker(1);
        h.Submit(Task("parent"));
        var on = h.State.ProcessingOn(0).Any() ? 0 : 1;
        h.Started(on, "parent");
        Secede(h, on, "parent", h.RunOf("parent"));
        h.RemoveWorker(on).ShouldContain($"Compute w{1 - on} parent");
        h.State.LongRunningCount(1 - on).ShouldBe(0);
        h.State.IsLongRunning(h.State.TaskIdOf("parent")).ShouldBeFalse();
    }
}

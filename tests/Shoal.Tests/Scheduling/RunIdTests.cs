using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>
/// Every assignment of a task to a worker gets a new run id; the worker's answers echo it, and an
/// answer about a run the scheduler ended (it crossed a FreeKeys, and maybe a new Compute of the
/// same key on the same worker) changes nothing.
/// </summary>
public class RunIdTests
{
    /// <summary>x computed on w0 (run r1), released (FreeKeys), submitted again: computed on w0 again (run r2).</summary>
    private static (SchedulerHarness H, long R1, long R2) ComputedTwice()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Task("x-1")).ShouldBe(["Compute w0 x-1"]);
        long r1 = h.RunOf("x-1");
        h.Release(1, "x-1").ShouldBe(["FreeKeys w0 x-1"]);
        h.Submit(Task("x-1")).ShouldBe(["Compute w0 x-1"]);
        long r2 = h.RunOf("x-1");
        r2.ShouldBeGreaterThan(r1);
        return (h, r1, r2);
    }

    [Fact]
    public void Each_assignment_gets_a_new_increasing_run_id()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0, nthreads: 2);
        h.RunOf("a-1").ShouldBe(0); // unknown key
        h.Submit(Task("a-1"), Task("b-1")).Count.ShouldBe(2);
        long a = h.RunOf("a-1"), b = h.RunOf("b-1");
        a.ShouldBeGreaterThan(0);
        b.ShouldNotBe(a);
        h.Reschedule(0, "a-1").ShouldBe(["Compute w0 a-1"]);
        h.RunOf("a-1").ShouldBeGreaterThan(Math.Max(a, b));
    }

    [Fact]
    public void A_task_done_of_an_ended_run_is_not_taken_for_the_current_run()
    {
        var (h, r1, r2) = ComputedTwice();
        h.Finish(0, "x-1", run: r1).ShouldBeEmpty(); // the worker dropped that value on the FreeKeys
        h.State.StaleAnswers.ShouldBe(1);
        h.State.StateOf("x-1").ShouldBe(TaskState.Processing);
        h.Processing(0).ShouldBe(["x-1"]);
        h.Holders("x-1").ShouldBeEmpty();
        h.Finish(0, "x-1", run: r2).ShouldBe(["KeyInMemory c1 x-1"]);
        h.Holders("x-1").ShouldBe([0]);
    }

    [Fact]
    public void A_failure_of_an_ended_run_neither_errs_nor_uses_a_retry()
    {
        var (h, r1, _) = ComputedTwice();
        h.Err(0, "x-1", "boom", run: r1).ShouldBeEmpty();
        h.State.StateOf("x-1").ShouldBe(TaskState.Processing);
        h.Err(0, "x-1", "boom").ShouldBe(["KeyErred c1 x-1"]);
    }

    [Fact]
    public void A_reschedule_of_an_ended_run_does_not_move_the_current_one()
    {
        var (h, r1, _) = ComputedTwice();
        h.Reschedule(0, "x-1", run: r1).ShouldBeEmpty();
        h.Processing(0).ShouldBe(["x-1"]);
        h.State.StaleAnswers.ShouldBe(1);
    }

    [Fact]
    public void A_steal_accepted_for_an_ended_run_does_not_move_the_current_one()
    {
        // f-4 is to be stolen from w0 (run r1); before the answer the thief dies, and f-4's input
        // is lost and recomputed, so f-4 goes back to w0 (run r2). w0 gave r1 up, then got the new
        // Compute and runs it: the late "accepted" must not take r2 off w0.
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Task("d-1")).ShouldBe(["Compute w0 d-1"]);
        h.Finish(0, "d-1", nbytes: 1000).ShouldBe(["KeyInMemory c1 d-1"]);
        h.Submit(Enumerable.Range(1, 4).Select(i => Task($"f-{i}", "d-1")).ToArray()).Count.ShouldBe(4);
        h.AddWorker(1).ShouldBeEmpty();
        h.Tick().ShouldBe(["StealRequest w0 f-4"]);
        long r1 = h.RunOf("f-4");
        h.RemoveWorker(1).ShouldBeEmpty();
        h.Missing(0, "d-1", 0).ShouldBe([
            "FreeKeys w0 f-1", "FreeKeys w0 f-2", "FreeKeys w0 f-3", "FreeKeys w0 f-4", "KeyLost c1 d-1", "Compute w0 d-1",
            "Compute w0 f-1", "Compute w0 f-2", "Compute w0 f-3", "Compute w0 f-4"]); // ahead of time, behind d-1
        h.Finish(0, "d-1", nbytes: 1000).ShouldBe(["KeyInMemory c1 d-1"]);
        h.RunOf("f-4").ShouldBeGreaterThan(r1);

        h.StealResponse(0, "f-4", accepted: true, run: r1).ShouldBeEmpty();
        h.Processing(0).ShouldBe(["f-1", "f-2", "f-3", "f-4"]);
        h.State.StaleAnswers.ShouldBe(1);
        h.StealResponse(0, "f-4", accepted: true).ShouldBe(["Compute w0 f-4"]); // the current run's answer counts
    }

    [Fact]
    public void A_task_done_of_the_current_run_after_a_free_is_answered_with_free_keys()
    {
        // Same run, already moved off the worker with a FreeKeys (done elsewhere meanwhile): not a
        // holder; the FreeKeys repeated is harmless (the worker dropped it already).
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("x-1")).ShouldBe(["Compute w0 x-1"]);
        h.AddKeys(1, ("x-1", 8)).ShouldBe(["FreeKeys w0 x-1", "KeyInMemory c1 x-1"]);
        h.Finish(0, "x-1").ShouldBe(["FreeKeys w0 x-1"]);
        h.Holders("x-1").ShouldBe([1]);
        h.State.StaleAnswers.ShouldBe(0);
    }
}

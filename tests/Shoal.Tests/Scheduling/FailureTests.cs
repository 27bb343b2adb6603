using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

public class FailureTests
{
    [Fact]
    public void Retries_recompute_then_the_task_errs()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        var t = Task("flaky-1");
        t.Retries = 1;
        h.Submit(t).ShouldBe(["Compute w0 flaky-1"]);
        h.Err(0, "flaky-1", "boom 1").ShouldBe(["Compute w0 flaky-1"]);
        var error = TestPayloads.Error("boom 2");
        h.Err(0, "flaky-1", error).ShouldBe(["KeyErred c1 flaky-1"]);
        h.State.StateOf("flaky-1").ShouldBe(TaskState.Erred);
        h.State.ErrorOf(h.State.TaskIdOf("flaky-1")).ShouldBeSameAs(error);
        h.Release(1, "flaky-1").ShouldBeEmpty();
        h.State.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void An_error_errs_every_dependent_with_the_same_error()
    {
        var h = SchedulerHarness.WithoutAheadOfTime();
        h.AddWorker(0);
        h.Submit(Task("a-1"), Task("b-1", "a-1"), Task("c-1", "b-1"), Task("d-1", "c-1")).ShouldBe(["Compute w0 a-1"]);
        var error = TestPayloads.Error("a failed");
        h.Err(0, "a-1", error).ShouldBe(["KeyErred c1 a-1", "KeyErred c1 b-1", "KeyErred c1 c-1", "KeyErred c1 d-1"]);
        foreach (var k in new[] { "b-1", "c-1", "d-1" })
        {
            h.State.StateOf(k).ShouldBe(TaskState.Erred);
            h.State.ErrorOf(h.State.TaskIdOf(k)).ShouldBeSameAs(error);
        }
        // A later graph on an erred key learns it at once.
        h.State.AddClient(2);
        h.Submit(2, Task("e-1", "d-1"), Task("d-1")).ShouldBe(["KeyErred c2 d-1", "KeyErred c2 e-1"]);
        h.Release(1, "a-1", "b-1", "c-1", "d-1").ShouldBeEmpty();
        h.RemoveClient(2).ShouldBeEmpty();
        h.State.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void Errors_from_a_worker_that_no_longer_runs_the_task_are_ignored()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Err(1, "a-1", "stale").ShouldBeEmpty();
        h.Err(0, "unknown-1", "stale").ShouldBeEmpty();
        h.State.StateOf("a-1").ShouldBe(TaskState.Processing);
    }

    [Fact]
    public void A_lost_worker_s_tasks_are_rescheduled()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Enumerable.Range(0, 4).Select(i => Task($"inc-{i}")).ToArray()).Count.ShouldBe(4);
        h.RemoveWorker(0).ShouldBeEmpty(); // w1 is full (2 slots): they wait in the queue
        h.State.QueuedCount.ShouldBe(2);
        h.Finish(1, "inc-1").ShouldBe(["KeyInMemory c1 inc-1", "Compute w1 inc-0"]);
        h.Finish(0, "inc-2").ShouldBeEmpty(); // from the dead worker: ignored
    }

    [Fact]
    public void Results_only_a_lost_worker_held_are_recomputed_and_dependents_wait_again()
    {
        var h = SchedulerHarness.WithoutAheadOfTime();
        h.AddWorker(0);
        h.AddWorker(1);
        var a = Task("a-1");
        a.Wanted = false;
        h.Submit(a, Task("b-1", "a-1"), Task("c-1", "a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Finish(0, "a-1").ShouldBe(["Compute w0 b-1", "Compute w1 c-1"]);

        h.RemoveWorker(0).ShouldBe(["FreeKeys w1 c-1", "Compute w1 a-1"]);
        h.State.StateOf("b-1").ShouldBe(TaskState.Waiting);
        h.State.StateOf("c-1").ShouldBe(TaskState.Waiting);
        h.Finish(1, "a-1").ShouldBe(["Compute w1 b-1", "Compute w1 c-1"]);
    }

    [Fact]
    public void A_wanted_result_lost_with_its_worker_is_recomputed()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Task("y-1"));
        h.Finish(0, "y-1");
        h.RemoveWorker(0).ShouldBe(["KeyLost c1 y-1"]);
        h.State.StateOf("y-1").ShouldBe(TaskState.Queued);
        // The worker comes back with the key: no need to compute it.
        h.AddWorker(0, Spec("w0", held: ("y-1", 8))).ShouldBe(["KeyInMemory c1 y-1"]);
        h.Holders("y-1").ShouldBe([0]);
        h.State.QueuedCount.ShouldBe(0);
    }

    [Fact]
    public void A_task_that_kills_too_many_workers_errs()
    {
        var h = new SchedulerHarness(new SchedulerConfig { AllowedFailures = 1, AheadOfTime = false });
        h.AddWorker(0);
        h.Submit(Task("k-1"), Task("after-1", "k-1")).ShouldBe(["Compute w0 k-1"]);
        h.Started(0, "k-1");
        h.RemoveWorker(0, "out of memory").ShouldBeEmpty();
        h.AddWorker(1).ShouldBe(["Compute w1 k-1"]);
        h.Started(1, "k-1");
        h.RemoveWorker(1, "segfault").ShouldBe(["KeyErred c1 k-1", "KeyErred c1 after-1"]);
        var error = h.State.ErrorOf(h.State.TaskIdOf("k-1")).ShouldBeOfType<WorkerKilledError>();
        error.Key.ShouldBe("k-1");
        error.Workers.ShouldBe(["w0", "w1"]);
        error.Causes.ShouldBe(["out of memory", "segfault"]);
        error.ToString().ShouldContain("segfault");
    }

    [Fact]
    public void Missing_data_drops_the_holder_and_recomputes_when_nobody_has_it()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("y-1")).ShouldBe(["Compute w0 y-1"]);
        h.Finish(0, "y-1");
        h.AddKeys(1, ("y-1", 8), ("unknown-1", 8)).ShouldBe(["FreeKeys w1 unknown-1"]); // a key nobody knows is dropped
        h.Holders("y-1").ShouldBe([0, 1]);

        h.Missing(1, "y-1", holder: 0).ShouldBeEmpty();
        h.Holders("y-1").ShouldBe([1]);
        h.Missing(0, "y-1", holder: -1).ShouldBeEmpty(); // unknown holder: nothing to drop
        h.Missing(0, "y-1", holder: 1).ShouldBe(["KeyLost c1 y-1", "Compute w0 y-1"]);
    }

    [Fact]
    public void A_copy_reported_while_the_key_is_recomputed_is_used()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("y-1")).ShouldBe(["Compute w0 y-1"]);
        // w1 still holds a copy gathered before the result was lost: no need to compute it again.
        h.AddKeys(1, ("y-1", 8)).ShouldBe(["FreeKeys w0 y-1", "KeyInMemory c1 y-1"]);
        h.Holders("y-1").ShouldBe([1]);
    }

    [Fact]
    public void A_key_reported_while_released_is_freed_on_that_worker()
    {
        var h = SchedulerHarness.WithoutAheadOfTime();
        h.AddWorker(0);
        h.AddWorker(1);
        var x = Task("x-1");
        x.Wanted = false;
        h.Submit(x, Task("y-1", "x-1")).ShouldBe(["Compute w0 x-1"]);
        h.Finish(0, "x-1");
        h.Finish(0, "y-1");
        h.State.StateOf("x-1").ShouldBe(TaskState.Released);
        h.AddKeys(1, ("x-1", 8)).ShouldBe(["FreeKeys w1 x-1"]);
    }

    [Fact]
    public void Broadcast_data_survives_the_loss_of_one_holder()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Scatter(1, [0, 1], true, ("x-1", 100)).ShouldBe(["KeyInMemory c1 x-1"]);
        h.Holders("x-1").ShouldBe([0, 1]);
        h.RemoveWorker(0).ShouldBeEmpty();
        h.Holders("x-1").ShouldBe([1]);
        h.RemoveWorker(1).ShouldBe(["KeyErred c1 x-1"]);
        h.State.ErrorOf(h.State.TaskIdOf("x-1")).ShouldBe(new DataLostError("x-1"));
    }

    [Fact]
    public void A_finished_result_nobody_needs_any_more_is_freed_on_its_worker()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("y-1")).ShouldBe(["Compute w0 y-1"]);
        h.Finish(0, "y-1");
        h.Finish(1, "y-1").ShouldBe(["FreeKeys w1 y-1"]); // not processing there: a stale report, the worker drops it
        h.Holders("y-1").ShouldBe([0]);
        h.Release(1, "y-1").ShouldBe(["FreeKeys w0 y-1"]);
    }
}

public class ExpectedRemovalTests
{
    [Fact]
    public void A_graceful_removal_does_not_count_as_a_failure()
    {
        var h = new SchedulerHarness(new SchedulerConfig { AllowedFailures = 0 });
        h.AddWorker(0);
        h.Submit(SchedulerHarness.Task("k-1")).ShouldBe(["Compute w0 k-1"]);
        h.State.RemoveWorker(0, "retired", 0, expected: true);
        h.State.Validate();
        h.Collect().ShouldBeEmpty();
        h.AddWorker(1).ShouldBe(["Compute w1 k-1"]);
        h.Started(1, "k-1");
        h.RemoveWorker(1, "killed").ShouldBe(["KeyErred c1 k-1"]);
    }
}

public class ScatterTests
{
    [Fact]
    public void Scattered_data_feeds_dependents_where_it_lives()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Scatter(1, [1], false, ("x-1", 1_000_000_000)).ShouldBe(["FreeKeys w1 x-1"]); // nobody wants it
        h.State.StateOf("x-1").ShouldBeNull();
        h.Scatter(1, [1], true, ("x-1", 1_000_000_000)).ShouldBe(["KeyInMemory c1 x-1"]);
        h.Submit(SchedulerHarness.Task("f-1", "x-1")).ShouldBe(["Compute w1 f-1"]);
        h.State.WhoHas(h.State.DependenciesOf(h.State.TaskIdOf("f-1"))[0]).ToArray().ShouldBe([1]);
    }

    [Fact]
    public void A_freed_scatter_names_the_put_it_frees_on_each_worker()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.ScatterPut(1, [0], 7, ("x-1", 10)).ShouldBe(["KeyInMemory c1 x-1"]);
        h.ScatterPut(1, [1], 9, ("x-1", 10)).ShouldBeEmpty(); // the same content scattered again, elsewhere: one more holder
        h.Release(1, "x-1").ShouldBe(["FreeKeys w0 x-1 of put 7", "FreeKeys w1 x-1 of put 9"], ignoreOrder: true);
        // Scattered again after its release: the new put's generation, never the freed one's.
        h.ScatterPut(1, [0], 11, ("x-1", 10)).ShouldBe(["KeyInMemory c1 x-1"]);
        h.Release(1, "x-1").ShouldBe(["FreeKeys w0 x-1 of put 11"]);
    }

    [Fact]
    public void Data_scattered_to_no_live_worker_is_lost()
    {
        var h = new SchedulerHarness();
        h.Scatter(1, [3], true, ("x-1", 10)).ShouldBe(["KeyErred c1 x-1"]);
        h.State.ErrorOf(h.State.TaskIdOf("x-1")).ShouldBe(new DataLostError("x-1"));
    }
}

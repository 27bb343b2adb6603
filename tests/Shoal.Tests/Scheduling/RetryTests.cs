using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>A client's retry of erred keys (Dask's <c>retry</c>), as events in and commands out.</summary>
public class RetryTests
{
    [Fact]
    public void Retrying_an_erred_dependent_runs_the_failed_root_again_and_then_the_dependent()
    {
        var h = SchedulerHarness.WithoutAheadOfTime();
        h.AddWorker(0);
        h.Submit(Task("a-1"), Task("b-1", "a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Err(0, "a-1", "boom").ShouldBe(["KeyErred c1 a-1", "KeyErred c1 b-1"]);

        h.State.RetryKeys(1, ["b-1"], h.Now);
        h.Collect().ShouldBe(["Compute w0 a-1"]);
        h.State.StateOf("b-1").ShouldBe(TaskState.Waiting);
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1", "Compute w0 b-1"]);
        h.Finish(0, "b-1").ShouldBe(["KeyInMemory c1 b-1"]);
        h.State.Validate();
    }

    [Fact]
    public void A_retry_that_fails_again_errs_again_and_keys_not_erred_or_not_wanted_are_left_alone()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.State.AddClient(2);
        h.Submit(Task("x-1"), Task("ok-1")).ShouldBe(["Compute w0 x-1", "Compute w0 ok-1"]);
        h.Err(0, "x-1", "first").ShouldBe(["KeyErred c1 x-1"]);
        h.Finish(0, "ok-1").ShouldBe(["KeyInMemory c1 ok-1"]);

        h.State.RetryKeys(2, ["x-1"], h.Now); // client 2 does not want it
        h.Collect().ShouldBeEmpty();
        h.State.RetryKeys(1, ["ok-1", "unknown-1"], h.Now);
        h.Collect().ShouldBeEmpty();
        h.State.StateOf("ok-1").ShouldBe(TaskState.Memory);

        h.State.RetryKeys(1, ["x-1"], h.Now);
        h.Collect().ShouldBe(["Compute w0 x-1"]);
        var second = TestPayloads.Error("second");
        h.Err(0, "x-1", second).ShouldBe(["KeyErred c1 x-1"]);
        h.State.ErrorOf(h.State.TaskIdOf("x-1")).ShouldBeSameAs(second);
        h.Release(1, "x-1", "ok-1").ShouldNotBeEmpty();
        h.State.TaskCount.ShouldBe(0);
        h.State.Validate();
    }
}

/// <summary>Fire-and-forget (Dask's <c>fire_and_forget</c>): a task runs to completion after its client left, then is forgotten.</summary>
public class FireAndForgetTests
{
    [Fact]
    public void A_fire_and_forget_task_runs_after_its_client_leaves_and_is_forgotten_when_done()
    {
        var h = SchedulerHarness.WithoutAheadOfTime();
        h.Submit(Task("a-1"), Task("b-1", "a-1")).ShouldBeEmpty(); // no worker yet
        h.State.FireAndForget(["b-1"], h.Now);
        h.Collect().ShouldBeEmpty();
        h.RemoveClient(1).ShouldBeEmpty();
        h.State.TaskCount.ShouldBe(2, "b-1 and the input it needs stay");
        h.State.Validate();

        h.AddWorker(0).ShouldBe(["Compute w0 a-1"]);
        h.Finish(0, "a-1").ShouldBe(["Compute w0 b-1"]);
        h.Finish(0, "b-1").ShouldContain("FreeKeys w0 b-1");
        h.State.TaskCount.ShouldBe(0, "done: nothing wants it any more");
        h.State.Validate();
    }

    [Fact]
    public void A_fire_and_forget_task_that_errs_is_forgotten_and_finished_keys_are_left_alone()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Task("x-1"), Task("done-1")).ShouldBe(["Compute w0 x-1", "Compute w0 done-1"]);
        h.Finish(0, "done-1").ShouldBe(["KeyInMemory c1 done-1"]);
        h.State.FireAndForget(["x-1", "done-1", "unknown-1"], h.Now);
        h.Collect().ShouldBeEmpty();
        h.Release(1, "x-1", "done-1").ShouldBe(["FreeKeys w0 done-1"]);
        h.State.TaskCount.ShouldBe(1);
        h.Err(0, "x-1", "boom").ShouldBeEmpty();
        h.State.TaskCount.ShouldBe(0);
        h.State.Validate();
    }
}

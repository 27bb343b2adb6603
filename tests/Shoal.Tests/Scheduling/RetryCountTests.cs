using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>A retry that sets how many more failures the retried tasks may have (Client.RetryAsync with a count).</summary>
public class RetryCountTests
{
    [Fact]
    public void A_retry_with_a_count_lets_the_task_and_its_erred_dependency_fail_that_often_before_they_err()
    {
        var h = WithoutAheadOfTime(); // b-1 waits on the scheduler, not on the worker: the commands below are the retry's only
        h.AddWorker(0);
        h.Submit(Task("a-1"), Task("b-1", "a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Err(0, "a-1", "first").ShouldBe(["KeyErred c1 a-1", "KeyErred c1 b-1"]);

        h.State.RetryKeys(1, ["b-1"], h.Now, retries: 2);
        h.Collect().ShouldBe(["Compute w0 a-1"]);
        h.Err(0, "a-1", "again").ShouldBe(["Compute w0 a-1"], "first of two allowed failures");
        h.Err(0, "a-1", "again").ShouldBe(["Compute w0 a-1"], "second of two");
        h.Err(0, "a-1", "last").ShouldBe(["KeyErred c1 a-1", "KeyErred c1 b-1"]);

        h.State.RetryKeys(1, ["b-1"], h.Now, retries: 1);
        h.Collect().ShouldBe(["Compute w0 a-1"]);
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1", "Compute w0 b-1"]);
        h.Err(0, "b-1", "b fails once").ShouldBe(["Compute w0 b-1"], "the dependent got the count too");
        h.Finish(0, "b-1").ShouldBe(["KeyInMemory c1 b-1"]);
        h.State.Validate();
    }

    [Fact]
    public void A_retry_without_a_count_keeps_what_the_task_had_left()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Task("x-1")).ShouldBe(["Compute w0 x-1"]);
        h.Err(0, "x-1", "boom").ShouldBe(["KeyErred c1 x-1"]);
        h.State.RetryKeys(1, ["x-1"], h.Now);
        h.Collect().ShouldBe(["Compute w0 x-1"]);
        h.Err(0, "x-1", "boom").ShouldBe(["KeyErred c1 x-1"], "no retries were left, none were given");
    }
}

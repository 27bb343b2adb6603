using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>
/// Clients as holders of last resort: a result the client fetched and still wants is put back by
/// the client when every worker holding it dies, instead of being computed again; when that
/// cannot happen, it is computed again as any lost result.
/// </summary>
public class ClientHolderTests
{
    /// <summary>Two workers; a-1 and b-1 finished on w0, the client fetched a-1 only.</summary>
    private static SchedulerHarness TwoResultsOnW0WithA1Fetched()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(new TaskSpecification { Key = "a-1", Dependencies = [], RunSpec = TestPayloads.Run("a"), Wanted = true, Workers = ["w0"] },
            new TaskSpecification { Key = "b-1", Dependencies = [], RunSpec = TestPayloads.Run("b"), Wanted = true, Workers = ["w0"] });
        h.Finish(0, "a-1").ShouldContain("KeyInMemory c1 a-1");
        h.Finish(0, "b-1").ShouldContain("KeyInMemory c1 b-1");
        h.ClientHolds(1, "a-1").ShouldBeEmpty();
        h.State.ClientHolderOf(h.State.TaskIdOf("a-1")).ShouldBe(1);
        return h;
    }

    [Fact]
    public void A_result_the_client_holds_is_restored_by_it_and_not_recomputed_when_its_worker_dies()
    {
        var h = TwoResultsOnW0WithA1Fetched();
        // b-1, which the client never fetched, is computed again (its restriction to w0 is gone with w0: no worker).
        h.RemoveWorker(0).ShouldBe(["RestoreKeys c1 a-1 to w1", "KeyLost c1 b-1"]);
        h.State.StateOf("a-1").ShouldBe(TaskState.Restoring);
        h.RestoreFinished(1, 1, [("a-1", 8)]).ShouldBe(["KeyInMemory c1 a-1"]);
        h.State.StateOf("a-1").ShouldBe(TaskState.Memory);
        h.Holders("a-1").ShouldBe([1]);
    }

    [Fact]
    public void A_dependent_waiting_on_a_restored_result_runs_once_it_is_back()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(new TaskSpecification { Key = "a-1", Dependencies = [], RunSpec = TestPayloads.Run("a"), Wanted = true, Workers = ["w0"] });
        h.Finish(0, "a-1");
        h.ClientHolds(1, "a-1");
        h.RemoveWorker(0).ShouldBe(["RestoreKeys c1 a-1 to w1"]);
        h.Submit(Task("b-1", "a-1")).ShouldBeEmpty(); // its input is on its way back
        h.RestoreFinished(1, 1, [("a-1", 8)]).ShouldBe(["KeyInMemory c1 a-1", "Compute w1 b-1"]);
    }

    [Fact]
    public void A_result_the_client_does_not_have_after_all_is_computed_again()
    {
        var h = TwoResultsOnW0WithA1Fetched();
        h.RemoveWorker(0);
        h.RestoreFinished(1, 1, [], "a-1").ShouldBe(["KeyLost c1 a-1"]);
        h.State.StateOf("a-1").ShouldBe(TaskState.NoWorker); // restricted to w0, which is gone
        h.State.ClientHolderOf(h.State.TaskIdOf("a-1")).ShouldBe(-1);
    }

    [Fact]
    public void A_restore_onto_a_worker_that_died_meanwhile_is_computed_again()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.AddWorker(2);
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Finish(0, "a-1");
        h.ClientHolds(1, "a-1");
        h.RemoveWorker(0).ShouldBe(["RestoreKeys c1 a-1 to w1"]);
        h.RemoveWorker(1).ShouldBeEmpty();
        // The client put it on w1 before w1 died: the scheduler no longer knows w1 (-1).
        h.RestoreFinished(1, -1, [("a-1", 8)]).ShouldBe(["KeyLost c1 a-1", "Compute w2 a-1"]);
    }

    [Fact]
    public void A_result_released_while_being_restored_is_forgotten_and_a_late_copy_freed()
    {
        var h = TwoResultsOnW0WithA1Fetched();
        h.RemoveWorker(0);
        // The client may have put it on w1 already: w1 drops it, or it would keep a copy nobody knows of.
        h.Release(1, "a-1").ShouldBe(["FreeKeys w1 a-1"]);
        h.State.StateOf("a-1").ShouldBeNull();
        h.RestoreFinished(1, 1, [("a-1", 8)]).ShouldBe(["FreeKeys w1 a-1"]);
    }

    [Fact]
    public void When_the_restoring_client_leaves_another_client_that_wants_the_result_gets_it_recomputed()
    {
        var h = new SchedulerHarness();
        h.State.AddClient(2);
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Submit(2, Task("a-1")).ShouldBeEmpty();
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1", "KeyInMemory c2 a-1"]);
        h.ClientHolds(1, "a-1");
        h.ClientHolds(2, "a-1"); // one holder of last resort is enough: the first
        h.RemoveWorker(0).ShouldBe(["RestoreKeys c1 a-1 to w1"]);
        h.RemoveClient(1).ShouldBe(["FreeKeys w1 a-1", "KeyLost c2 a-1", "Compute w1 a-1"]);
    }

    [Fact]
    public void Without_a_client_holder_a_lost_result_is_computed_again()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Finish(0, "a-1");
        h.ClientHolds(1, "unknown-1", "a-2").ShouldBeEmpty(); // keys it does not have are ignored
        h.RemoveWorker(0).ShouldBe(["KeyLost c1 a-1", "Compute w1 a-1"]);
    }

    [Fact]
    public void A_client_that_released_a_result_no_longer_holds_it()
    {
        var h = new SchedulerHarness();
        h.State.AddClient(2);
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("a-1"));
        h.Submit(2, Task("a-1"));
        h.Finish(0, "a-1");
        h.ClientHolds(1, "a-1");
        h.Release(1, "a-1").ShouldBeEmpty();
        h.State.ClientHolderOf(h.State.TaskIdOf("a-1")).ShouldBe(-1);
        h.RemoveWorker(0).ShouldBe(["KeyLost c2 a-1", "Compute w1 a-1"]);
    }
}

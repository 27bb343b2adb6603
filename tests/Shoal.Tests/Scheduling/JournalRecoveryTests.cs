using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>
/// A worker killed under a nanny: its replacement registers holding the results its journal kept
/// (<see cref="Shoal.Execution.ResultJournal"/>). Those go back to memory and are not recomputed,
/// wherever their recomputation had got to.
/// </summary>
public class JournalRecoveryTests
{
    /// <summary>w0 computed a-1 and runs b-1, w1 computed a-2 and runs b-2; the client wants all.</summary>
    private static SchedulerHarness TwoResultsOnW0AndW1Busy()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("a-1"), Task("a-2"), Task("b-1"), Task("b-2")).ShouldBe(["Compute w0 a-1", "Compute w1 a-2", "Compute w0 b-1", "Compute w1 b-2"]);
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1"]);
        h.Finish(1, "a-2").ShouldBe(["KeyInMemory c1 a-2"]);
        return h;
    }

    [Fact]
    public void Lost_results_the_replacement_registers_with_go_back_to_memory_and_their_recomputation_is_dropped()
    {
        var h = TwoResultsOnW0AndW1Busy();
        h.Finish(0, "b-1").ShouldBe(["KeyInMemory c1 b-1"]);
        h.Finish(1, "b-2").ShouldBe(["KeyInMemory c1 b-2"]);
        // w1 dies holding a-2 and b-2: both are lost, and queued to be computed again on w0.
        var lost = h.RemoveWorker(1);
        lost.ShouldContain("KeyLost c1 a-2");
        lost.ShouldContain("KeyLost c1 b-2");
        h.State.StateOf("a-2").ShouldNotBe(TaskState.Memory);
        h.State.StateOf("b-2").ShouldNotBe(TaskState.Memory);

        // Its replacement took both back from the journal: in memory on it, nothing recomputed.
        var back = h.AddWorker(2, Spec("w1", held: [("a-2", 8), ("b-2", 8)]));
        back.ShouldContain("KeyInMemory c1 a-2");
        back.ShouldContain("KeyInMemory c1 b-2");
        back.Where(c => c.StartsWith("Compute", StringComparison.Ordinal)).ShouldBeEmpty();
        back.Where(c => c.StartsWith("FreeKeys", StringComparison.Ordinal)).ShouldAllBe(c => c.StartsWith("FreeKeys w0", StringComparison.Ordinal));
        h.State.StateOf("a-2").ShouldBe(TaskState.Memory);
        h.State.StateOf("b-2").ShouldBe(TaskState.Memory);
        h.Holders("a-2").ShouldBe([2]);
        h.Holders("b-2").ShouldBe([2]);
        h.Processing(0).ShouldBeEmpty();
        h.State.ResultsRecoveredOnRegistration.ShouldBe(2);
        h.Tick().Where(c => c.StartsWith("Compute", StringComparison.Ordinal)).ShouldBeEmpty();
    }

    [Fact]
    public void A_lost_result_already_being_recomputed_elsewhere_is_taken_from_the_replacement_and_the_late_result_ignored()
    {
        var h = TwoResultsOnW0AndW1Busy();
        // w1 dies while b-2 runs there, holding a-2: a-2 and b-2 are computed again on w0.
        h.RemoveWorker(1).ShouldBe(["KeyLost c1 a-2", "Compute w0 a-2"]);
        h.Finish(0, "b-1").ShouldBe(["KeyInMemory c1 b-1", "Compute w0 b-2"]);
        h.Processing(0).ShouldBe(["a-2", "b-2"], ignoreOrder: true);
        var runOnW0 = h.RunOf("a-2");

        // The replacement brings a-2 back from the journal: memory on w2, w0's run of it is cancelled.
        var back = h.AddWorker(2, Spec("w1", held: [("a-2", 8)]));
        back.ShouldContain("KeyInMemory c1 a-2");
        back.ShouldContain("FreeKeys w0 a-2");
        h.State.StateOf("a-2").ShouldBe(TaskState.Memory);
        h.Holders("a-2").ShouldBe([2]);
        // b-2 (it was running when w1 died: no result to keep) goes on being computed once, on w0.
        back.Where(c => c.StartsWith("Compute", StringComparison.Ordinal)).ShouldBeEmpty();
        h.Processing(0).ShouldBe(["b-2"]);

        // w0 finishes the cancelled run anyway: that result is stale, nothing changes.
        h.Finish(0, "a-2", run: runOnW0).Where(c => c.StartsWith("KeyInMemory", StringComparison.Ordinal)).ShouldBeEmpty();
        h.Holders("a-2").ShouldBe([2]);
    }
}

using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>Rebalance (Dask's <c>rebalance</c>) as the state plans and ends it: events in, moves and commands out.</summary>
public class RebalanceStateTests
{
    private static string Describe(RebalanceMove m) => $"{m.Key} w{m.Sender}->w{m.Recipient}";

    private static List<string> Complete(SchedulerHarness h, RebalanceMove move, out RebalanceMoveOutcome outcome)
    {
        outcome = h.State.CompleteRebalanceMove(move);
        h.State.Validate();
        return h.Collect();
    }

    private static SchedulerHarness ThreeWorkersAndFourResultsOnTheFirst()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.AddWorker(2);
        h.Scatter(1, [0], true, ("a", 100), ("b", 100), ("c", 100), ("d", 100));
        return h;
    }

    [Fact]
    public void Results_on_one_worker_spread_to_the_emptiest_and_the_sender_drops_each_copy_only_once_the_recipient_reports_it()
    {
        var h = ThreeWorkersAndFourResultsOnTheFirst();

        var moves = h.State.PlanRebalance(null, null);
        // 400 bytes over three workers: 200/100/100 is the best whole-result split; a third move would overshoot.
        moves.Select(Describe).ShouldBe(["a w0->w1", "b w0->w2"]);
        h.Collect().ShouldBeEmpty("planning changes nothing");

        Complete(h, moves[0], out var outcome).ShouldBeEmpty();
        outcome.ShouldBe(RebalanceMoveOutcome.Pending, "the recipient has not reported its copy yet");
        h.Holders("a").ShouldBe([0]);

        h.AddKeys(1, ("a", 100)).ShouldBeEmpty();
        h.Holders("a").Order().ShouldBe([0, 1]);
        Complete(h, moves[0], out outcome).ShouldBe(["FreeKeys w0 a"]);
        outcome.ShouldBe(RebalanceMoveOutcome.Done);
        h.Holders("a").ShouldBe([1]);

        h.AddKeys(2, ("b", 100));
        Complete(h, moves[1], out outcome).ShouldBe(["FreeKeys w0 b"]);
        outcome.ShouldBe(RebalanceMoveOutcome.Done);
        h.State.HasWhat(0).Select(h.State.KeyOf).Order().ShouldBe(["c", "d"]);
        h.State.StateOf("a").ShouldBe(TaskState.Memory);
        h.State.PlanRebalance(null, null).ShouldBeEmpty("balanced now");
    }

    [Fact]
    public void Largest_results_go_first_and_one_too_big_to_move_without_overshooting_is_skipped_for_smaller_ones()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Scatter(1, [0], true, ("big", 900), ("s1", 100), ("s2", 100), ("s3", 100));
        h.Scatter(1, [1], true, ("held", 200));

        // w0 1200, w1 200, mean 700: "big" would leave w1 above w0 (1100 > 300); the small ones fit.
        h.State.PlanRebalance(null, null).Select(Describe).ShouldBe(["s1 w0->w1", "s2 w0->w1", "s3 w0->w1"]);
    }

    [Fact]
    public void Only_the_keys_and_workers_asked_take_part_and_retiring_workers_take_no_part()
    {
        var h = ThreeWorkersAndFourResultsOnTheFirst();
        var onlyB = new HashSet<int> { h.State.TaskIdOf("b") };

        h.State.PlanRebalance(onlyB, null).Select(Describe).ShouldBe(["b w0->w1"]);
        h.State.PlanRebalance(null, new HashSet<int> { 0, 2 }).Select(Describe).ShouldBe(["a w0->w2", "b w0->w2"]);

        h.State.StopPlacingOn(1);
        h.State.PlanRebalance(null, null).Select(Describe).ShouldBe(["a w0->w2", "b w0->w2"], "a retiring worker receives nothing");
        h.State.StopPlacingOn(0);
        h.State.PlanRebalance(null, null).ShouldBeEmpty("a retiring worker's results are moved by its retirement");
    }

    [Fact]
    public void A_result_a_task_running_on_its_worker_needs_stays_and_a_recipient_never_gets_what_it_already_holds()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Scatter(1, [0], true, ("in", 300), ("x", 100), ("y", 100));
        h.Submit(Task("use-1", "in")).ShouldBe(["Compute w0 use-1"]);
        h.State.PlanRebalance(null, null).Select(Describe).ShouldBe(["x w0->w1", "y w0->w1"], "'in' is used on w0");

        var other = new SchedulerHarness();
        other.AddWorker(0);
        other.AddWorker(1);
        other.Scatter(1, [0, 1], true, ("both", 500));
        other.Scatter(1, [0], true, ("one", 100), ("two", 100), ("three", 100));
        // w0 800, w1 500: "both" cannot go to w1, which holds it; one small result evens them out.
        other.State.PlanRebalance(null, null).Select(Describe).ShouldBe(["one w0->w1"]);
    }

    [Fact]
    public void Nothing_to_do_with_one_worker_a_balanced_cluster_or_results_of_unknown_size()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Scatter(1, [0], true, ("a", 100), ("b", 100));
        h.State.PlanRebalance(null, null).ShouldBeEmpty();

        h.AddWorker(1);
        h.Scatter(1, [1], true, ("c", 100), ("d", 100));
        h.State.PlanRebalance(null, null).ShouldBeEmpty();

        h.AddWorker(2);
        h.Scatter(1, [0], true, ("unknown", -1));
        h.State.PlanRebalance(null, null).Select(Describe).ShouldBe(["a w0->w2"], "a result of unknown size is left where it is");
    }

    [Fact]
    public void A_move_is_given_up_when_its_recipient_leaves_or_its_result_is_released_and_nothing_is_lost()
    {
        var h = ThreeWorkersAndFourResultsOnTheFirst();
        var moves = h.State.PlanRebalance(null, null);
        moves.Select(Describe).ShouldBe(["a w0->w1", "b w0->w2"]);

        h.RemoveWorker(1);
        Complete(h, moves[0], out var outcome).ShouldBeEmpty();
        outcome.ShouldBe(RebalanceMoveOutcome.Abandoned);
        h.Holders("a").ShouldBe([0], "the sender keeps its copy");

        h.Release(1, "b");
        Complete(h, moves[1], out outcome).ShouldBeEmpty();
        outcome.ShouldBe(RebalanceMoveOutcome.Abandoned);
        h.State.StateOf("b").ShouldBeNull();
    }

    [Fact]
    public void A_sender_that_died_after_the_copy_arrived_leaves_the_move_done()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Scatter(1, [0], true, ("a", 100), ("b", 100), ("c", 100));
        var move = h.State.PlanRebalance(null, null)[0];
        h.AddKeys(1, ("a", 100));
        h.RemoveWorker(0);
        Complete(h, move, out var outcome).ShouldBeEmpty();
        outcome.ShouldBe(RebalanceMoveOutcome.Done);
        h.Holders("a").ShouldBe([1]);
    }
}

using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>
/// Ahead-of-time assignment (SchedulerState.AheadOfTime.cs): a task whose only missing input is processing on a worker
/// that holds its other inputs goes to that worker at once, waits there, and starts without a round trip; it follows
/// its input through errors, losses, steals, cancellations and deaths.
/// </summary>
public class AheadOfTimeTests
{
    // No root queue (every root goes out at once) and no stealing unless a test asks: the commands stay readable.
    private static SchedulerHarness Harness(int maxAhead = 1000, bool stealing = false, int allowedFailures = 3) =>
        new(new SchedulerConfig
        {
            WorkerSaturation = double.PositiveInfinity,
            WorkStealing = stealing,
            MaxAheadPerWorker = maxAhead,
            AllowedFailures = allowedFailures,
        });

    private static TaskSpecification Retried(string key) =>
        new() { Key = key, RunSpec = TestPayloads.Run("run " + key), Wanted = true, Retries = 1 };

    private static bool Ahead(SchedulerHarness h, string key) => h.State.IsAhead(h.State.TaskIdOf(key));

    private static TaskSpecification[] Chain(string prefix, int n) =>
        Enumerable.Range(1, n).Select(i => i == 1 ? Task($"{prefix}-1") : Task($"{prefix}-{i}", $"{prefix}-{i - 1}")).ToArray();

    [Fact]
    public void A_chain_goes_to_the_worker_of_its_first_link_at_once_and_each_link_lands_as_its_input_finishes()
    {
        var h = Harness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Chain("c", 3)).ShouldBe(["Compute w0 c-1", "Compute w0 c-2", "Compute w0 c-3"]);
        Ahead(h, "c-1").ShouldBeFalse();
        Ahead(h, "c-2").ShouldBeTrue();
        Ahead(h, "c-3").ShouldBeTrue();
        h.State.StateOf("c-3").ShouldBe(TaskState.Processing);
        // Waiting tasks hold no slot and no occupancy: the worker looks as loaded as it is.
        h.State.ProcessingCount(0).ShouldBe(1);
        h.State.AheadCountOf(0).ShouldBe(2);
        h.State.OccupancyOf(0).ShouldBe(0.5, 1e-6);
        h.Processing(0).ShouldBe(["c-1", "c-2", "c-3"]);

        // c-1 done: c-2 lands (the worker started it already); no Compute goes out.
        h.Finish(0, "c-1").ShouldBe(["KeyInMemory c1 c-1"]);
        Ahead(h, "c-2").ShouldBeFalse();
        h.State.ProcessingCount(0).ShouldBe(1);
        h.State.AheadCountOf(0).ShouldBe(1);
        h.State.OccupancyOf(0).ShouldBeGreaterThan(0);
        h.Started(0, "c-2").ShouldBeEmpty();
        h.Finish(0, "c-2").ShouldBe(["KeyInMemory c1 c-2"]);
        h.Finish(0, "c-3").ShouldBe(["KeyInMemory c1 c-3"]);
        h.State.AheadCountOf(0).ShouldBe(0);
        h.State.ProcessingCount(0).ShouldBe(0);
    }

    [Fact]
    public void A_link_submitted_on_its_own_goes_ahead_behind_its_processing_input()
    {
        // client.Submit(f, previous) sends one graph per link.
        var h = Harness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Submit(Task("b-1", "a-1")).ShouldBe(["Compute w0 b-1"]);
        h.Submit(Task("c-1", "b-1")).ShouldBe(["Compute w0 c-1"]);
        Ahead(h, "c-1").ShouldBeTrue();
    }

    [Fact]
    public void Disabled_the_dependent_is_placed_when_its_input_is_in_memory()
    {
        var h = WithoutAheadOfTime();
        h.AddWorker(0);
        h.Submit(Chain("c", 2)).ShouldBe(["Compute w0 c-1"]);
        h.Finish(0, "c-1").ShouldBe(["KeyInMemory c1 c-1", "Compute w0 c-2"]);
    }

    [Fact]
    public void Ahead_tasks_take_no_root_slot()
    {
        // One thread: two root slots. Each root's dependent goes ahead without using a slot, so the queue still hands
        // out exactly two roots.
        var h = new SchedulerHarness(new SchedulerConfig { WorkStealing = false });
        h.AddWorker(0);
        var graph = Enumerable.Range(1, 4).SelectMany(i => new[] { Task($"r-{i}"), Task($"s-{i}", $"r-{i}") }).ToArray();
        h.Submit(graph).ShouldBe(["Compute w0 r-1", "Compute w0 r-2", "Compute w0 s-1", "Compute w0 s-2"]);
        h.State.QueuedCount.ShouldBe(2);
        h.State.ProcessingCount(0).ShouldBe(2);
        h.Finish(0, "r-1").ShouldBe(["KeyInMemory c1 r-1"]); // s-1 lands and takes r-1's slot
        h.State.QueuedCount.ShouldBe(2);
    }

    [Fact]
    public void An_input_held_elsewhere_keeps_the_task_waiting_for_placement()
    {
        var h = Harness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Scatter(1, [1], true, ("x-1", 1000));
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Submit(Task("t-1", "a-1", "x-1")).ShouldBeEmpty();
        h.State.StateOf("t-1").ShouldBe(TaskState.Waiting);
    }

    [Fact]
    public void Other_inputs_held_by_the_worker_let_a_reduction_go_ahead()
    {
        var h = Harness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Submit(Task("b-1")).ShouldBe(["Compute w1 b-1"]);
        h.Submit(Task("c-1")).ShouldBe(["Compute w0 c-1"]);
        h.Submit(Task("sum-1", "a-1", "c-1")).ShouldBeEmpty(); // two inputs missing
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1", "Compute w0 sum-1"]); // a-1 there, c-1 computing there
        Ahead(h, "sum-1").ShouldBeTrue();
        h.Submit(Task("sum-2", "a-1", "b-1")).ShouldBeEmpty(); // b-1 computes on w1, which lacks a-1
        h.Finish(0, "c-1").ShouldBe(["KeyInMemory c1 c-1"]);
        Ahead(h, "sum-1").ShouldBeFalse();
    }

    [Fact]
    public void Tasks_with_restrictions_or_resources_are_placed_only_once_their_inputs_are_in_memory()
    {
        var h = Harness();
        h.AddWorker(0, Spec("w0", resources: new Dictionary<string, double> { ["GPU"] = 1 }));
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Submit(
            new TaskSpecification { Key = "gpu-1", Dependencies = ["a-1"], RunSpec = TestPayloads.Run("run"), Wanted = true, Resources = new Dictionary<string, double> { ["GPU"] = 1 } },
            new TaskSpecification { Key = "pinned-1", Dependencies = ["a-1"], RunSpec = TestPayloads.Run("run"), Wanted = true, Workers = ["w0"] }).ShouldBeEmpty();
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1", "Compute w0 gpu-1", "Compute w0 pinned-1"]);
    }

    [Fact]
    public void A_worker_takes_at_most_its_limit_ahead_and_more_as_links_land()
    {
        var h = Harness(maxAhead: 2);
        h.AddWorker(0);
        h.Submit(Chain("c", 5)).ShouldBe(["Compute w0 c-1", "Compute w0 c-2", "Compute w0 c-3"]);
        h.State.AheadCountOf(0).ShouldBe(2);
        h.Finish(0, "c-1").ShouldBe(["KeyInMemory c1 c-1", "Compute w0 c-4"]);
        h.Finish(0, "c-2").ShouldBe(["KeyInMemory c1 c-2", "Compute w0 c-5"]);
        h.Finish(0, "c-3").ShouldBe(["KeyInMemory c1 c-3"]);
        h.Finish(0, "c-4").ShouldBe(["KeyInMemory c1 c-4"]);
        h.Finish(0, "c-5").ShouldBe(["KeyInMemory c1 c-5"]);
    }

    [Fact]
    public void An_input_that_errs_errs_its_ahead_dependents_and_frees_them_on_the_worker()
    {
        var h = Harness();
        h.AddWorker(0);
        h.Submit(Chain("c", 3));
        h.Err(0, "c-1", "boom").ShouldBe([
            "FreeKeys w0 c-2", "FreeKeys w0 c-3", "KeyErred c1 c-1", "KeyErred c1 c-2", "KeyErred c1 c-3"]);
        h.State.ErrorOf(h.State.TaskIdOf("c-3")).ShouldBeOfType<Shoal.Transfer.TaskErrorPayload>().Error.Message.ShouldBe("boom");
        h.State.AheadCountOf(0).ShouldBe(0);
    }

    [Fact]
    public void An_input_retried_after_an_error_takes_its_dependents_along_again()
    {
        var h = Harness();
        h.AddWorker(0);
        h.Submit(Retried("a-1"), Task("b-1", "a-1")).ShouldBe(["Compute w0 a-1", "Compute w0 b-1"]);
        h.Err(0, "a-1", "flaky").ShouldBe(["FreeKeys w0 b-1", "Compute w0 a-1", "Compute w0 b-1"]);
        Ahead(h, "b-1").ShouldBeTrue();
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1"]);
        h.Finish(0, "b-1").ShouldBe(["KeyInMemory c1 b-1"]);
    }

    [Fact]
    public void A_rescheduled_input_takes_its_dependents_to_its_new_worker()
    {
        var h = Harness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("busy-1"));
        h.Submit(Chain("c", 2)).ShouldBe(["Compute w1 c-1", "Compute w1 c-2"]);
        h.Reschedule(1, "c-1").ShouldBe(["FreeKeys w1 c-2", "Compute w1 c-1", "Compute w1 c-2"]);
        Ahead(h, "c-2").ShouldBeTrue();
    }

    [Fact]
    public void Ahead_tasks_on_a_dead_worker_move_for_free_however_often_it_dies()
    {
        // The head is reported started on every worker, so each death has its suspect; the chain behind it never
        // executed and is placed again (ahead of time again) on the next worker without counting any death.
        var h = Harness(allowedFailures: 0);
        h.Submit(Task("head-0"), Task("a-1"), Task("b-1", "a-1"), Task("c-1", "b-1"));
        for (int death = 0; death < 5; death++)
        {
            var commands = h.AddWorker(death, Spec("vm-1"));
            commands.ShouldContain($"Compute w{death} b-1");
            commands.ShouldContain($"Compute w{death} c-1");
            Ahead(h, "c-1").ShouldBeTrue();
            h.Submit(Task($"head-{death + 1}"));
            h.Started(death, $"head-{death}");
            h.RemoveWorker(death, "killed by signal 9 (SIGKILL)").ShouldBe([$"KeyErred c1 head-{death}"]); // nothing to the dead one
            h.State.StateOf("c-1").ShouldBe(TaskState.Waiting);
        }
        h.AddWorker(99);
        h.Finish(99, "a-1").ShouldBe(["KeyInMemory c1 a-1"]);
        h.Finish(99, "b-1").ShouldBe(["KeyInMemory c1 b-1"]);
        h.Finish(99, "c-1").ShouldBe(["KeyInMemory c1 c-1"]);
        h.State.ErrorOf(h.State.TaskIdOf("c-1")).ShouldBeNull();
    }

    [Fact]
    public void A_lost_other_input_pulls_the_task_back_until_it_can_go_ahead_again()
    {
        var h = Harness();
        h.AddWorker(0);
        h.Submit(Task("x-1")).ShouldBe(["Compute w0 x-1"]);
        h.Finish(0, "x-1").ShouldBe(["KeyInMemory c1 x-1"]);
        h.Submit(Task("a-1"), Task("t-1", "a-1", "x-1")).ShouldBe(["Compute w0 a-1", "Compute w0 t-1"]);
        h.Missing(0, "x-1", 0).ShouldBe(["FreeKeys w0 t-1", "KeyLost c1 x-1", "Compute w0 x-1"]);
        h.State.StateOf("t-1").ShouldBe(TaskState.Waiting);
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1", "Compute w0 t-1"]); // x-1 computes there, a-1 is there
        Ahead(h, "t-1").ShouldBeTrue();
        h.Finish(0, "x-1").ShouldBe(["KeyInMemory c1 x-1"]);
        h.Finish(0, "t-1").ShouldBe(["KeyInMemory c1 t-1"]);
    }

    [Fact]
    public void An_input_reported_held_by_another_worker_sends_the_dependent_there_by_placement()
    {
        var h = Harness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Chain("c", 2)).ShouldBe(["Compute w0 c-1", "Compute w0 c-2"]);
        h.AddKeys(1, ("c-1", 10)).ShouldBe(["FreeKeys w0 c-2", "FreeKeys w0 c-1", "KeyInMemory c1 c-1", "Compute w1 c-2"]);
    }

    [Fact]
    public void Cancelling_an_ahead_task_frees_it_and_its_dependents_on_the_worker()
    {
        var h = Harness();
        h.AddWorker(0);
        h.Submit(Chain("c", 3));
        h.Cancel(1, "c-2").ShouldBe(["KeyCancelled c1 c-2", "KeyCancelled c1 c-3", "FreeKeys w0 c-3", "FreeKeys w0 c-2"]);
        h.State.AheadCountOf(0).ShouldBe(0);
        h.Finish(0, "c-1").ShouldBe(["KeyInMemory c1 c-1"]);
    }

    [Fact]
    public void Cancelling_the_input_frees_the_whole_chain()
    {
        var h = Harness();
        h.AddWorker(0);
        h.Submit(Chain("c", 3));
        h.Cancel(1, "c-1").ShouldBe([
            "KeyCancelled c1 c-1", "KeyCancelled c1 c-2", "KeyCancelled c1 c-3", "FreeKeys w0 c-3", "FreeKeys w0 c-2", "FreeKeys w0 c-1"]);
        h.State.TaskCount.ShouldBe(0);
        h.Finish(0, "c-1").ShouldBeEmpty(); // a late report of a forgotten key: the worker had its FreeKeys
    }

    [Fact]
    public void Neither_an_ahead_task_nor_the_input_it_waits_for_is_stolen()
    {
        var h = Harness(stealing: true);
        h.AddWorker(0);
        h.Submit(Task("x-1")).ShouldBe(["Compute w0 x-1"]);
        h.Submit(Chain("c", 2)).ShouldBe(["Compute w0 c-1", "Compute w0 c-2"]);
        h.AddWorker(1);
        h.Tick().ShouldBeEmpty(); // without c-2 waiting there, c-1 would be stolen (see the next test)

        var without = new SchedulerHarness(new SchedulerConfig { WorkerSaturation = double.PositiveInfinity, AheadOfTime = false });
        without.AddWorker(0);
        without.Submit(Task("x-1"));
        without.Submit(Chain("c", 2));
        without.AddWorker(1);
        without.Tick().ShouldBe(["StealRequest w0 c-1"]);
    }

    [Fact]
    public void No_task_goes_ahead_behind_an_input_with_a_steal_in_flight_and_it_follows_a_stolen_input()
    {
        var h = Harness(stealing: true);
        h.AddWorker(0);
        h.Submit(Task("x-1"), Task("a-1")).ShouldBe(["Compute w0 x-1", "Compute w0 a-1"]);
        h.AddWorker(1);
        h.Tick().ShouldBe(["StealRequest w0 a-1"]);
        // The victim may give a-1 up before a Compute of its dependent arrives: it stays waiting.
        h.Submit(Task("b-1", "a-1")).ShouldBeEmpty();
        h.StealResponse(0, "a-1", accepted: true).ShouldBe(["Compute w1 a-1", "Compute w1 b-1"]);
        Ahead(h, "b-1").ShouldBeTrue();
    }

    [Fact]
    public void No_task_goes_ahead_onto_a_retiring_or_paused_worker()
    {
        var h = Harness();
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.State.StopPlacingOn(0);
        h.Submit(Task("b-1", "a-1")).ShouldBeEmpty();
        h.State.Validate();
    }

    [Fact]
    public void A_late_answer_for_a_pulled_back_run_is_stale()
    {
        var h = Harness();
        h.AddWorker(0);
        h.Submit(Retried("a-1"), Task("b-1", "a-1"));
        long first = h.RunOf("b-1");
        h.Err(0, "a-1", "flaky");
        h.RunOf("b-1").ShouldBeGreaterThan(first);
        h.Finish(0, "b-1", run: first).ShouldBeEmpty();
        h.State.StaleAnswers.ShouldBe(1);
        Ahead(h, "b-1").ShouldBeTrue();
    }
}

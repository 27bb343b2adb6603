using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>
/// A worker's death counts only against the tasks it was executing (those it reported started, or the one a thread
/// with no start on record would have taken next); tasks merely queued on it are placed again for free, however often
/// their workers die.
/// </summary>
public class ExecutingDeathTests
{
    private static SchedulerHarness Harness(int allowedFailures) =>
        new(new SchedulerConfig { AllowedFailures = allowedFailures, WorkStealing = false, WorkerSaturation = double.PositiveInfinity });

    private static WorkerSpec Process(string name, int pid, int nthreads = 1) => Spec(name, nthreads) with { Pid = pid };

    [Fact]
    public void Only_the_task_reported_started_counts_a_death_the_queued_ones_move_for_free()
    {
        var h = Harness(allowedFailures: 0);
        h.AddWorker(0);
        h.Submit(Task("a-1"), Task("b-1"), Task("c-1")).ShouldBe(["Compute w0 a-1", "Compute w0 b-1", "Compute w0 c-1"]);
        h.Started(0, "a-1").ShouldBeEmpty();
        h.State.IsExecuting(h.State.TaskIdOf("a-1")).ShouldBeTrue();

        h.AddWorker(1);
        h.RemoveWorker(0, "killed by signal 9 (SIGKILL)").ShouldBe(["KeyErred c1 a-1", "Compute w1 b-1", "Compute w1 c-1"]);
        var error = h.State.ErrorOf(h.State.TaskIdOf("a-1")).ShouldBeOfType<WorkerKilledError>();
        error.Deaths.ShouldHaveSingleItem().ShouldBe(new WorkerDeath("w0", 0, "killed by signal 9 (SIGKILL)", StartReported: true));
    }

    [Fact]
    public void Queued_tasks_survive_any_number_of_deaths()
    {
        // The failure of issue 10: a worker restarted under the same name, killed again and again while the task sat
        // in its queue behind others, erred the task "on 4 different workers".
        var h = Harness(allowedFailures: 3);
        h.Submit(Task("queued-1"));
        for (int death = 0; death < 10; death++)
        {
            h.AddWorker(death, Process("vm-1", 100 + death)).ShouldContain($"Compute w{death} queued-1"); // with the earlier heads
            h.Submit(Task($"head-{death}")).ShouldBe([$"Compute w{death} head-{death}"]);
            h.Started(death, $"head-{death}");
            h.RemoveWorker(death, "killed by signal 9 (SIGKILL)").ShouldBeEmpty();
            h.Finish(death, "queued-1").ShouldBeEmpty(); // a late report of the dead one changes nothing
        }
        h.State.StateOf("queued-1").ShouldBe(TaskState.NoWorker);
        h.AddWorker(99);
        h.Finish(99, "queued-1").ShouldBe(["KeyInMemory c1 queued-1"]);
        h.State.CountInState(TaskState.Erred).ShouldBe(0); // each head was executing at one death only
    }

    [Fact]
    public void A_start_report_lost_with_the_worker_counts_half_against_the_task_its_thread_takes_first()
    {
        // A task that kills its process at once may take its start report with it: a thread with no start on record
        // counts half a death against the not-started task it would take first (best run order, inputs held there).
        var h = Harness(allowedFailures: 0);
        h.AddWorker(0, Process("w0", 7, nthreads: 2));
        h.Submit(Task("low-1"), new TaskSpecification { Key = "high-1", RunSpec = TestPayloads.Run("x"), Wanted = true, Priority = 5 }, Task("other-1"));
        h.Started(0, "other-1");
        h.AddWorker(1, Process("w1", 8));
        h.Submit(Task("warm-1")).ShouldBe(["Compute w1 warm-1"]);
        h.Started(1, "warm-1"); // w1 got going: its start reports arrive, so a thread without one may have lost it
        h.Finish(1, "warm-1");
        h.Release(1, "warm-1");
        var commands = h.RemoveWorker(0, "connection lost");
        commands.ShouldContain("KeyErred c1 other-1"); // reported started: one whole death
        commands.ShouldNotContain("KeyErred c1 high-1"); // half a death so far
        h.Processing(1).ShouldBe(["high-1", "low-1"], ignoreOrder: true);

        h.RemoveWorker(1, "killed by signal 9 (SIGKILL)").ShouldBe(["KeyErred c1 high-1"]); // the second half
        var error = (WorkerKilledError)h.State.ErrorOf(h.State.TaskIdOf("high-1"))!;
        error.Deaths.Select(d => (d.Worker, d.StartReported)).ShouldBe([("w0", false), ("w1", false)]);
        error.ToString().ShouldContain("possibly executing");
        h.State.StateOf("low-1").ShouldBe(TaskState.NoWorker); // never counted: the threads had better things to run
    }

    [Fact]
    public void A_worker_that_never_reported_a_start_gets_no_guess()
    {
        // A replacement killed again before it got going (JIT, code loading on a loaded machine) ran nothing.
        var h = Harness(allowedFailures: 0);
        h.AddWorker(0);
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.AddWorker(1);
        h.RemoveWorker(0, "killed").ShouldBe(["Compute w1 a-1"]);
    }

    [Fact]
    public void A_task_whose_inputs_the_worker_lacks_is_not_the_guess()
    {
        // It could not have started before a fetch, whose report (AddKeys) comes before the start's.
        var h = Harness(allowedFailures: 0);
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("x-1")).ShouldBe(["Compute w0 x-1"]);
        h.Finish(0, "x-1");
        h.Submit(new TaskSpecification { Key = "warm-1", RunSpec = TestPayloads.Run("w"), Wanted = true, Workers = ["w1"] }).ShouldBe(["Compute w1 warm-1"]);
        h.Started(1, "warm-1"); // w1 got going: a thread of it without a start on record would be guessed
        h.Finish(1, "warm-1");
        h.Release(1, "warm-1");
        h.Submit(new TaskSpecification { Key = "far-1", Dependencies = ["x-1"], RunSpec = TestPayloads.Run("f"), Wanted = true, Priority = 9, Workers = ["w1"], AllowOtherWorkers = true },
                 Task("near-1", "x-1")).ShouldBe(["Compute w1 far-1", "Compute w0 near-1"]);
        h.RemoveWorker(1, "killed").ShouldBe(["Compute w0 far-1"]);
        h.State.ErrorOf(h.State.TaskIdOf("far-1")).ShouldBeNull();
        h.Finish(0, "far-1");
        h.State.StateOf("far-1").ShouldBe(TaskState.Memory);
    }

    [Fact]
    public void A_start_of_an_ended_run_or_on_another_worker_is_ignored()
    {
        var h = Harness(allowedFailures: 0);
        h.AddWorker(0);
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        long first = h.RunOf("a-1");
        h.Reschedule(0, "a-1").ShouldBe(["Compute w0 a-1"]);
        h.Started(0, "a-1", run: first).ShouldBeEmpty(); // the old run, reported late
        h.AddWorker(1);
        h.Started(1, "a-1").ShouldBeEmpty();             // not processing there
        h.State.IsExecuting(h.State.TaskIdOf("a-1")).ShouldBeFalse();
        h.Started(0, "a-1");
        h.State.IsExecuting(h.State.TaskIdOf("a-1")).ShouldBeTrue();
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1"]);
        h.State.IsExecuting(h.State.TaskIdOf("a-1")).ShouldBeFalse();
    }

    [Fact]
    public void An_expected_departure_counts_nothing()
    {
        var h = Harness(allowedFailures: 0);
        h.AddWorker(0);
        h.Submit(Task("a-1"));
        h.Started(0, "a-1");
        h.AddWorker(1);
        h.State.RemoveWorker(0, "retired", h.Now, expected: true);
        h.Collect().ShouldBe(["Compute w1 a-1"]);
    }

    [Fact]
    public void The_error_names_each_death_once_with_its_process_and_says_restarted()
    {
        var h = Harness(allowedFailures: 2);
        h.Submit(Task("boom-1"));
        for (int i = 0; i < 3; i++)
        {
            h.AddWorker(i, Process("vm-23068", 4100 + i));
            h.Started(i, "boom-1");
            h.RemoveWorker(i, "killed by signal 9 (SIGKILL)");
        }
        var error = (WorkerKilledError)h.State.ErrorOf(h.State.TaskIdOf("boom-1"))!;
        var message = error.ToString();
        message.ShouldBe("Task boom-1 was executing on 3 worker processes that died while running it (at most 2 allowed): "
            + "vm-23068, pid 4100: killed by signal 9 (SIGKILL); vm-23068 (restarted), pid 4101: killed by signal 9 (SIGKILL); "
            + "vm-23068 (restarted), pid 4102: killed by signal 9 (SIGKILL)");
        error.Workers.ShouldBe(["vm-23068", "vm-23068", "vm-23068"]);
    }
}

using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>
/// A restart asked by a client, in the state machine: a whole restart forgets every task and tells every client that
/// wanted one; a restart of named workers follows the lost-worker rules without counting against allowed failures.
/// </summary>
public class RestartStateTests
{
    [Fact]
    public void Forgetting_all_tasks_tells_every_client_and_frees_the_workers()
    {
        var h = new SchedulerHarness(new SchedulerConfig { WorkStealing = false, AheadOfTime = false });
        h.State.AddClient(2);
        h.AddWorker(0, 2);
        h.Submit(Task("a-1"), Task("b-1", "a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1", "Compute w0 b-1"]);
        h.Submit(2, Task("c-1")).ShouldBe(["Compute w0 c-1"]);
        h.State.FireAndForget(["c-1"], h.Now);
        h.Collect();

        h.State.ForgetAllTasks(h.Now);
        var commands = h.Collect();
        commands.ShouldContain("KeyRestarted c1 a-1");
        commands.ShouldContain("KeyRestarted c1 b-1");
        commands.ShouldContain("KeyRestarted c2 c-1");
        commands.ShouldContain("FreeKeys w0 b-1"); // processing there: the worker drops it
        h.State.Validate();
        foreach (var key in new[] { "a-1", "b-1", "c-1" }) (h.State.StateOf(key) ?? TaskState.Released).ShouldBe(TaskState.Released);

        // The cluster goes on: the same key computes afresh.
        h.State.RestartWorker(0, "the cluster was restarted", h.Now);
        h.AddWorker(1);
        h.Submit(Task("a-1")).ShouldBe(["Compute w1 a-1"]);
    }

    [Fact]
    public void A_restarted_worker_does_not_count_against_the_task_it_was_executing()
    {
        var h = new SchedulerHarness(new SchedulerConfig { AllowedFailures = 0, WorkStealing = false });
        h.AddWorker(0);
        h.AddWorker(1);
        h.Submit(Task("x-1")).ShouldHaveSingleItem();
        int worker = h.State.ProcessingWorkerOf(h.State.TaskIdOf("x-1"));
        h.Started(worker, "x-1");

        // With no allowed failures a death while executing would err it (see ExecutingDeathTests); a restart does not.
        h.State.RestartWorker(worker, "restarted at a client's request", h.Now);
        var commands = h.Collect();
        commands.ShouldBe([$"Compute w{1 - worker} x-1"]);
        h.State.CountInState(TaskState.Erred).ShouldBe(0);
    }
}

using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

public class ForgettingTests
{
    [Fact]
    public void Cancel_drops_queued_tasks_and_frees_processing_ones()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Enumerable.Range(0, 4).Select(i => Task($"q-{i}")).ToArray()).ShouldBe(["Compute w0 q-0", "Compute w0 q-1"]);
        h.Cancel(1, "q-1", "q-3")
            .ShouldBe(["KeyCancelled c1 q-1", "KeyCancelled c1 q-3", "FreeKeys w0 q-1", "Compute w0 q-2"]);
        h.State.StateOf("q-1").ShouldBeNull();
        h.State.StateOf("q-3").ShouldBeNull();
        h.State.TaskCount.ShouldBe(2);
    }

    [Fact]
    public void Cancel_keeps_what_another_client_wants()
    {
        var h = new SchedulerHarness();
        h.State.AddClient(2);
        h.AddWorker(0);
        h.Submit(1, Task("q-0"));
        h.Submit(2, Task("q-0"));
        h.Cancel(1, "q-0").ShouldBe(["KeyCancelled c1 q-0"]);
        h.State.StateOf("q-0").ShouldBe(TaskState.Processing);
        h.Finish(0, "q-0").ShouldBe(["KeyInMemory c2 q-0"]);
    }

    [Fact]
    public void Cancel_takes_the_client_s_dependents_along()
    {
        var h = SchedulerHarness.WithoutAheadOfTime();
        h.AddWorker(0);
        h.Submit(Task("a-1"), Task("b-1", "a-1"), Task("c-1", "b-1"));
        h.Cancel(1, "a-1").ShouldBe(["KeyCancelled c1 a-1", "KeyCancelled c1 b-1", "KeyCancelled c1 c-1", "FreeKeys w0 a-1"]);
        h.State.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void Removing_a_client_releases_what_it_wanted()
    {
        var h = new SchedulerHarness();
        h.State.AddClient(2);
        h.AddWorker(0);
        h.Submit(2, Task("z-1"), Task("z-2"));
        h.Finish(0, "z-1");
        h.RemoveClient(2).ShouldBe(["FreeKeys w0 z-1", "FreeKeys w0 z-2"]);
        h.State.TaskCount.ShouldBe(0);
    }

    [Fact]
    public void A_finished_and_released_graph_leaves_nothing_behind_and_slots_are_reused()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.AddWorker(1);
        RunTree(h, "r1", 16);
        h.Release(1, "r1-sum-0-0");
        h.State.TaskCount.ShouldBe(0);
        foreach (TaskState s in Enum.GetValues<TaskState>()) h.State.CountInState(s).ShouldBe(0);
        h.State.HasWhat(0).ShouldBeEmpty();
        h.State.HasWhat(1).ShouldBeEmpty();
        int slots = h.State.TaskSlotsUsed;

        RunTree(h, "r2", 16);
        h.Release(1, "r2-sum-0-0");
        h.State.TaskSlotsUsed.ShouldBe(slots);
        h.State.TaskCount.ShouldBe(0);
    }

    /// <summary>Submits a binary tree reduction and completes every Compute at once until the root is in memory.</summary>
    private static void RunTree(SchedulerHarness h, string name, int leaves)
    {
        var tasks = new List<TaskSpecification>();
        var level = Enumerable.Range(0, leaves).Select(i => $"{name}-leaf-{i}").ToList();
        foreach (var k in level) tasks.Add(new TaskSpecification { Key = k });
        int depth = 0;
        while (level.Count > 1)
        {
            depth++;
            var next = new List<string>();
            for (int i = 0; i < level.Count; i += 2)
            {
                var k = level.Count == 2 ? $"{name}-sum-0-0" : $"{name}-sum-{depth}-{i / 2}";
                tasks.Add(new TaskSpecification { Key = k, Dependencies = [level[i], level[i + 1]] });
                next.Add(k);
            }
            level = next;
        }
        tasks[^1].Wanted = true;
        var pending = new Queue<string>(h.Submit(tasks.ToArray()));
        int computed = 0;
        while (pending.Count > 0)
        {
            var parts = pending.Dequeue().Split(' ');
            if (parts[0] != "Compute") continue;
            computed++;
            foreach (var c in h.Finish(int.Parse(parts[1][1..]), parts[2])) pending.Enqueue(c);
        }
        computed.ShouldBe(2 * leaves - 1);
        h.State.StateOf($"{name}-sum-0-0").ShouldBe(TaskState.Memory);
        h.State.TaskCount.ShouldBe(2 * leaves - 1); // intermediates released, kept only as graph structure
        h.State.CountInState(TaskState.Memory).ShouldBe(1);
    }
}

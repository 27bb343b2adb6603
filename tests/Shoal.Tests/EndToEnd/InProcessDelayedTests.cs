using System.Collections.Concurrent;

namespace Shoal.Tests.EndToEnd;

/// <summary>Delayed task graphs on an in-process LocalCluster.</summary>
public sealed class InProcessDelayedTests
{
    private static readonly ConcurrentDictionary<string, int> Executions = new();

    private static int CountedLoad(string run, int x)
    {
        Executions.AddOrUpdate(run, 1, static (_, n) => n + 1);
        return x * 10;
    }

    [Fact]
    public async Task Shared_parts_of_several_graphs_run_once_and_results_come_in_order()
    {
        await using var c = await InProcessCluster.StartAsync();
        var run = Gates.NewName("shared");
        var shared = Delayed.Call(CountedLoad, run, 4);
        var plusOne = Delayed.Call(static (int x) => x + 1, shared);
        var timesTwo = Delayed.Call(static (int x) => x * 2, shared);
        var both = Delayed.Call(static (int a, int b) => a + b, plusOne, timesTwo);
        (await c.Client.ComputeAsync([plusOne, timesTwo, both]).WaitAsync(E2E.Timeout)).ShouldBe([41, 80, 121]);
        Executions[run].ShouldBe(1);
    }

    [Fact]
    public async Task Delayed_values_futures_plain_values_and_arrays_of_delayed_mix()
    {
        await using var c = await InProcessCluster.StartAsync();
        var future = c.Client.Submit(static () => 100);
        var leaves = Enumerable.Range(1, 50).Select(static i => Delayed.Call(static (int x) => x, i)).ToArray();
        var sum = Delayed.Call(static (int[] v) => v.Sum(), leaves);
        var offset = 7;
        var mixed = Delayed.Call((int a, int b, int d) => a + b + d + offset, (DelayedArg<int>)sum, (DelayedArg<int>)future, (DelayedArg<int>)3);
        (await mixed.ComputeAsync(c.Client).WaitAsync(E2E.Timeout)).ShouldBe(1275 + 100 + 3 + 7);

        var persisted = c.Client.Persist(sum);
        var onTop = c.Client.Submit(static (int x) => x * 2, persisted);
        (await onTop.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(2550);
        persisted.Key.ShouldBe(sum.Key);
    }

    [Fact]
    public async Task A_failing_node_fails_the_graph_with_its_error()
    {
        await using var c = await InProcessCluster.StartAsync();
        var bad = Delayed.Call(static (int x) => x > 0 ? throw new InvalidDataException($"bad leaf {x}") : x, 5);
        var good = Delayed.Call(static (int x) => x, 6);
        var root = Delayed.Call(static (int a, int b) => a + b, bad, good);
        var error = await Should.ThrowAsync<TaskException>(c.Client.ComputeAsync(root).WaitAsync(E2E.Timeout));
        error.RemoteTypeName.ShouldBe(typeof(InvalidDataException).FullName);
        error.RemoteMessage.ShouldBe("bad leaf 5");

        // After the graph, nothing of it stays on the scheduler.
        (await E2E.PollAsync(async () => (await c.Client.GetClusterInfoAsync()).Tasks == 0, E2E.Timeout)).ShouldBeTrue();
    }

    [Fact]
    public async Task Computing_the_same_graph_twice_works_and_leaves_nothing_behind()
    {
        await using var c = await InProcessCluster.StartAsync();
        var leaves = Enumerable.Range(0, 100).Select(static i => Delayed.Call(static (int x) => x * x, i)).ToArray();
        var total = Delayed.Call(static (IReadOnlyList<int> v) => v.Sum(), leaves);
        (await c.Client.ComputeAsync(total).WaitAsync(E2E.Timeout)).ShouldBe(328_350);
        (await c.Client.ComputeAsync(total).WaitAsync(E2E.Timeout)).ShouldBe(328_350);
        (await E2E.PollAsync(async () => (await c.Client.GetClusterInfoAsync()).Tasks == 0, E2E.Timeout)).ShouldBeTrue();
    }
}

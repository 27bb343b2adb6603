namespace Shoal.Flows.Tests;

/// <summary>Maps over several sequences, unmapped constants, pipelines, reduces, subflows, streamed maps.</summary>
public class MapTests
{
    public sealed record Empty;

    private static readonly FlowTask<int, int, int> Add = FlowTask.Create("Add", static (int a, int b) => a + b);
    private static readonly FlowTask<int, int> Square = FlowTask.Create("Square", static (int x) => x * x);
    private static readonly FlowTask<int[], int> Sum = FlowTask.Create("Sum", static (int[] xs) => xs.Sum());

    [Fact]
    public async Task A_cluster_that_fails_to_start_crashes_the_run_with_its_own_error()
    {
        var flow = Flow.Create("never", static async (Empty _) => { await Task.Yield(); return 1; });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.LocalCluster(new LocalClusterOptions { Workers = -1 }));

        var result = await runner.RunAsync(flow, new Empty());

        result.State.ShouldBe(RunState.Crashed);
        result.Cause.ShouldBe(typeof(ArgumentOutOfRangeException).FullName);
        result.Error!.ShouldContain("Workers must be 0 or more");
        (await temp.Store.TaskRunsAsync(result.Id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Two_sequences_zip_to_the_shortest_an_unmapped_input_is_constant_and_a_map_of_a_map_is_a_pipeline()
    {
        var flow = Flow.Create("zip", async (Empty _) =>
        {
            var zipped = Add.Map(new[] { 1, 2, 3, 4 }, new[] { 10, 20, 30 });
            var shifted = Add.Map(zipped, Flow.Unmapped(100));
            var squared = Square.Map(shifted);
            var total = Sum.Submit(squared);
            Flow.Log($"{squared.Runs.Count} pipelines");
            return ((await zipped), await total);
        });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());

        var result = await runner.RunAsync(flow, new Empty());

        result.State.ShouldBe(RunState.Completed, result.Error);
        result.Result.Item1.ShouldBe([11, 22, 33]);
        result.Result.Item2.ShouldBe((111 * 111) + (122 * 122) + (133 * 133));
        var tasks = await temp.Store.TaskRunsAsync(result.Id);
        tasks.Count.ShouldBe(3 + 3 + 3 + 1);
        // Pipeline n depends only on pipeline n of the stage before.
        var square1 = tasks.Single(t => t.Name == "Square-1");
        square1.Upstream.ShouldBe([tasks.Single(t => t.Id == square1.Upstream[0] && t.Name == "Add-1").Id]);
        (await temp.Store.LogsAsync(result.Id)).ShouldContain(l => l.Message == "3 pipelines");
        var graph = FlowGraph.ToMermaid((await temp.Store.FindFlowRunAsync(result.Id.ToString()))!, tasks);
        graph.ShouldContain("flowchart LR");
        graph.Split('\n').Count(l => l.Contains("-->")).ShouldBe(3 + 3 + 3);
    }

    public sealed record SubParameters
    {
        public required int N { get; init; }
    }

    private static readonly Flow<SubParameters, int> Child = Flow.Create("child", async (SubParameters p) => await Sum.Submit(Square.Map(Enumerable.Range(1, p.N).ToArray())));

    [Fact]
    public async Task A_subflow_runs_on_its_parents_cluster_with_its_own_record()
    {
        var parent = Flow.Create("parent", async (Empty _) => await Child.CallAsync(new SubParameters { N = 3 }) + await Child.CallAsync(new SubParameters { N = 2 }));
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());

        var result = await runner.RunAsync(parent, new Empty());

        result.Result.ShouldBe(14 + 5, result.Error);
        var runs = await temp.Store.ListFlowRunsAsync();
        runs.Count.ShouldBe(3);
        runs.Where(r => r.FlowName == "child").ShouldAllBe(r => r.ParentId == result.Id && r.State == RunState.Completed);
        (await temp.Store.LogsAsync(result.Id)).Count(l => l.Message.StartsWith("cluster: ", StringComparison.Ordinal)).ShouldBe(1);
    }

    [Fact]
    public async Task A_streamed_map_yields_results_in_order_with_a_bounded_window()
    {
        const int Items = 3000;
        var flow = Flow.Create("stream", async (Empty _) =>
        {
            long total = 0;
            var expected = 0;
            await foreach (var square in Square.MapStream(Enumerable.Range(0, Items), window: 64))
            {
                square.ShouldBe(expected * expected);
                expected++;
                total += square;
            }

            return total;
        });
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());

        var result = await runner.RunAsync(flow, new Empty());

        result.Result.ShouldBe(Enumerable.Range(0, Items).Sum(i => (long)i * i), result.Error);
        var tasks = await temp.Store.TaskRunsAsync(result.Id);
        tasks.Count.ShouldBe(Items);
        tasks.ShouldAllBe(t => t.State == RunState.Completed);
    }

    [Fact]
    public void Tasks_outside_a_flow_say_so()
    {
        Should.Throw<InvalidOperationException>(() => Square.Submit(1)).Message.ShouldContain("inside a flow's body");
    }
}

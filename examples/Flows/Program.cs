// The seeds' Prefect flow in C#: x = [1, 2, 3] -> TimesTwo.Map -> GetSum, on a local cluster,
// recorded in the default store (~/.shoal/flows.db, or $SHOAL_FLOWS_DB). Afterwards
// `shoal flows runs` lists the run as Completed; `shoal flows graph RUN` draws it.
// Parameters come from the command line: dotnet run -- --x "[4,5,6]"
using Shoal;
using Shoal.Flows;

var timesTwo = FlowTask.Create("TimesTwo", static (int x) => x * 2);
var getSum = FlowTask.Create("GetSum", static (int[] xs) => xs.Sum());

var flow = Flow.Create("seeds", async (SeedsParameters p) =>
{
    var y = timesTwo.Map(p.X);
    return await getSum.Submit(y);
});

await using var store = await FlowStores.OpenAsync();
await using var runner = new FlowRunner(store, FlowExecutors.LocalCluster(new LocalClusterOptions { Workers = 2, ThreadsPerWorker = 1 }));
FlowRunResult<int> run;
try
{
    run = await runner.RunAsync(flow, args);
}
catch (FlowParameterException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

Console.WriteLine($"flow run {run.Name} ({run.Id}): {run.State}");
if (run.State != RunState.Completed)
{
    Console.Error.WriteLine($"{run.Error} ({run.Cause})");
    return 1;
}

Console.WriteLine(run.Result);
return 0;

/// <summary>The flow's parameters: x, a list of integers, [1, 2, 3] by default.</summary>
internal sealed record SeedsParameters
{
    public int[] X { get; init; } = [1, 2, 3];
}

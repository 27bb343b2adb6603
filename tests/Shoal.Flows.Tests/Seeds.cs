namespace Shoal.Flows.Tests;

/// <summary>The seeds' flow: x = [1, 2, 3] -> TimesTwo.Map -> GetSum.</summary>
public static class Seeds
{
    public sealed record Parameters
    {
        public int[] X { get; init; } = [1, 2, 3];
    }

    public static readonly FlowTask<int, int> TimesTwo = FlowTask.Create("TimesTwo", static (int x) => x * 2);

    public static readonly FlowTask<int[], int> GetSum = FlowTask.Create("GetSum", static (int[] xs) => xs.Sum());

    public static readonly Flow<Parameters, int> Flow = Shoal.Flows.Flow.Create("seeds", async (Parameters p) =>
    {
        var y = TimesTwo.Map(p.X);
        return await GetSum.Submit(y);
    });
}

/// <summary>A temporary SQLite store and result directory, deleted afterwards.</summary>
public sealed class TempStore : IAsyncDisposable
{
    private TempStore(string directory, IFlowRunStore store)
    {
        Directory = directory;
        Store = store;
    }

    public string Directory { get; }

    public string DbPath => Path.Join(Directory, "flows.db");

    public IFlowRunStore Store { get; }

    public LocalDirectoryResultStore Results => new(Path.Join(Directory, "results"));

    public static async Task<TempStore> CreateAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("shoal-flows-test-").FullName;
        return new TempStore(directory, await FlowStores.OpenAsync(Path.Join(directory, "flows.db")));
    }

    public FlowRunner Runner(IFlowExecutor executor, FlowRunnerOptions? options = null) =>
        new(Store, executor, (options ?? new FlowRunnerOptions()) with { ResultStore = (options?.ResultStore) ?? Results });

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a worker process may still hold a file for a moment; the temp directory is cleaned anyway
        }
    }
}

public static class Records
{
    /// <summary>Checks the seeds' run in the store: Completed, three TimesTwo runs and a GetSum that depends on them, each Pending -> Running -> Completed.</summary>
    public static async Task ShouldHoldSeedsRunAsync(IFlowRunStore store, Guid runId)
    {
        var run = (await store.FindFlowRunAsync(runId.ToString())).ShouldNotBeNull();
        run.State.ShouldBe(RunState.Completed);
        run.FlowName.ShouldBe("seeds");
        run.Parameters.ShouldContain("[1,2,3]");
        var tasks = await store.TaskRunsAsync(runId);
        tasks.Select(t => t.Name).Order().ShouldBe(["GetSum-0", "TimesTwo-0", "TimesTwo-1", "TimesTwo-2"]);
        tasks.ShouldAllBe(t => t.State == RunState.Completed && t.Attempts == 1);
        var sum = tasks.Single(t => t.TaskName == "GetSum");
        sum.Upstream.Order().ShouldBe(tasks.Where(t => t.TaskName == "TimesTwo").Select(t => t.Id).Order());
        foreach (var task in tasks)
            (await store.StateChangesAsync(task.Id)).Select(c => c.State).ShouldBe([RunState.Pending, RunState.Running, RunState.Completed]);
        (await store.StateChangesAsync(runId)).Select(c => c.State).ShouldBe([RunState.Pending, RunState.Running, RunState.Completed]);
        (await store.LogsAsync(runId)).ShouldContain(l => l.Message.StartsWith("cluster: ", StringComparison.Ordinal));
    }
}

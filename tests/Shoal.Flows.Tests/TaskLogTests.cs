using Microsoft.Extensions.Logging;

namespace Shoal.Flows.Tests;

/// <summary>
/// Lines a task writes on its worker (<see cref="WorkerContext.Logger"/>) become its task run's log
/// lines in the flow's records, in-process and from worker processes alike.
/// </summary>
[Collection(ProcessesCollection.Name)]
public class TaskLogTests
{
    private static readonly FlowTask<int, int> Loud = FlowTask.Create("Loud-task", static (int x) =>
    {
        WorkerContext.Logger.LogInformation("doubling {X} on {Worker}", x, WorkerContext.Name);
        if (x == 2) WorkerContext.Logger.LogWarning("two is even");
        return x * 2;
    });

    private static readonly Flow<Seeds.Parameters, int> LoudFlow = Shoal.Flows.Flow.Create("loud", async (Seeds.Parameters p) =>
    {
        var doubled = await Loud.Map(p.X);
        return doubled.Sum();
    });

    [Fact]
    public Task In_process() => RecordsTaskLinesAsync(FlowExecutors.InProcess());

    [Fact]
    public Task From_worker_processes() =>
        RecordsTaskLinesAsync(FlowExecutors.LocalCluster(new LocalClusterOptions { Processes = true, Workers = 1, ThreadsPerWorker = 2 }));

    private static async Task RecordsTaskLinesAsync(IFlowExecutor executor)
    {
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(executor);
        var result = await runner.RunAsync(LoudFlow, new Seeds.Parameters());
        result.State.ShouldBe(RunState.Completed, result.Error);
        result.Result.ShouldBe(12);

        var taskRuns = (await temp.Store.TaskRunsAsync(result.Id)).ToDictionary(t => t.Id);
        var lines = (await temp.Store.LogsAsync(result.Id)).Where(l => l.Message.Contains("doubling") || l.Message.Contains("two is even")).ToList();
        lines.Count.ShouldBe(4, string.Join("\n", lines));
        foreach (var line in lines)
        {
            line.TaskRunId.ShouldNotBeNull();
            taskRuns.ShouldContainKey(line.TaskRunId!.Value);
            line.Message.ShouldStartWith("[");
        }

        foreach (var x in new[] { 1, 2, 3 })
        {
            var line = lines.Single(l => l.Message.Contains($"doubling {x} on "));
            line.Level.ShouldBe("Info");
            taskRuns[line.TaskRunId!.Value].Name.ShouldBe($"Loud-task-{x - 1}");
        }

        var warning = lines.Single(l => l.Message.EndsWith("two is even", StringComparison.Ordinal));
        warning.Level.ShouldBe("Warning");
        taskRuns[warning.TaskRunId!.Value].Name.ShouldBe("Loud-task-1");
    }

    [Theory]
    [InlineData("Loud-task-0123456789abcdef0123456789abcdef-1", "01234567-89ab-cdef-0123-456789abcdef")]
    [InlineData("a-b-c-0123456789abcdef0123456789abcdef-12", "01234567-89ab-cdef-0123-456789abcdef")]
    [InlineData("inc-12", null)]
    [InlineData("nodash", null)]
    [InlineData(null, null)]
    public void The_task_run_is_read_from_its_submission_key(string? key, string? expected) =>
        FlowRun.TaskRunIdOf(key).ShouldBe(expected is null ? null : Guid.Parse(expected));
}

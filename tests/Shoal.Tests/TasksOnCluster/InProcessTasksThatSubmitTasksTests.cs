namespace Shoal.Tests.TasksOnCluster;

/// <summary>Tasks that submit tasks on an in-process cluster (values and code by reference), two single-threaded workers.</summary>
public sealed class InProcessTasksThatSubmitTasksTests
{
    private static async Task<int> CountLeaves(int depth)
    {
        if (depth == 0) return 1;
        var client = await WorkerContext.GetClientAsync();
        var halves = await client.GatherAsync([client.Submit(CountLeaves, depth - 1, new SubmitOptions { Pure = false }),
            client.Submit(CountLeaves, depth - 1, new SubmitOptions { Pure = false })]);
        return halves[0] + halves[1];
    }

    [Fact]
    public async Task A_recursive_computation_four_levels_deep_completes_in_process()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2, ThreadsPerWorker = 1 });
        await using var client = await Client.ConnectAsync(cluster);
        client.ByReference.ShouldBeTrue();
        (await client.Submit(CountLeaves, 4).ResultAsync().WaitAsync(TimeSpan.FromSeconds(60))).ShouldBe(16);
    }

    [Fact]
    public async Task A_task_reads_a_value_its_worker_holds_and_learns_when_it_holds_none()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1 });
        await using var client = await Client.ConnectAsync(cluster);
        var held = client.Submit(static () => 41, new SubmitOptions { Pure = false });
        await held.ResultAsync();
        var read = client.Submit(static (string key) =>
        {
            var found = WorkerContext.TryGetLocalValue<int>(key, out var value);
            var missing = WorkerContext.TryGetLocalValue<int>("nothing-here", out _);
            return $"{found} {value} {missing} {WorkerContext.LocalKeys.Contains(key)}";
        }, held.Key, new SubmitOptions { Pure = false });
        (await read.ResultAsync()).ShouldBe("True 41 False True");
        WorkerContext.TryGetLocalValue<int>(held.Key, out _).ShouldBeFalse(); // outside a task
    }
}

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
}

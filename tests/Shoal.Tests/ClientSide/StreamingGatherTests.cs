using Shoal.Tests.Resilience;

namespace Shoal.Tests.ClientSide;

/// <summary>GatherAsync fetches each result as its task finishes, not once all have.</summary>
public sealed class StreamingGatherTests
{
    private static readonly TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task Results_reach_the_client_while_a_slower_task_of_the_same_gather_still_runs()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { ThreadsPerWorker = 4 });
        await using var client = await Client.ConnectAsync(cluster);
        // The last one waits for the gate, which opens only once the others are in the client's hands.
        var futures = client.Map(static (int x) =>
        {
            if (x == 9) Gate.Task.Wait();
            return x * 10;
        }, Enumerable.Range(0, 10));
        var gather = client.GatherAsync(futures);

        await Eventually.HoldsAsync(() => futures.Take(9).All(f => f.Entry!.HasValue), TimeSpan.FromSeconds(30), "the finished results are fetched while the gather waits for the last");
        gather.IsCompleted.ShouldBeFalse();
        futures[9].Entry!.HasValue.ShouldBeFalse();

        Gate.SetResult();
        (await gather.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(Enumerable.Range(0, 10).Select(x => x * 10));
    }

    [Fact]
    public async Task The_first_failed_task_in_order_is_thrown_as_before()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { ThreadsPerWorker = 2 });
        await using var client = await Client.ConnectAsync(cluster);
        var futures = client.Map(static (int x) => x is 3 or 7 ? throw new InvalidOperationException($"boom {x}") : x, Enumerable.Range(0, 10));
        var error = await Should.ThrowAsync<Exception>(() => client.GatherAsync(futures).WaitAsync(TimeSpan.FromSeconds(30)));
        error.Message.ShouldContain("boom 3");
    }
}

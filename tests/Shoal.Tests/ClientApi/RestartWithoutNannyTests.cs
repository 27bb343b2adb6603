namespace Shoal.Tests.ClientApi;

/// <summary>Workers without a nanny (in-process LocalCluster workers) cannot come back: a restart is refused, naming why, and nothing changes.</summary>
public sealed class RestartWithoutNannyTests
{
    [Fact]
    public async Task RestartAsync_on_in_process_workers_throws_NotSupportedException_and_keeps_the_tasks()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1 });
        await using var client = await Client.ConnectAsync(cluster);
        var future = client.Submit(static (int x) => x + 1, 1);
        (await future.ResultAsync().WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(2);

        var error = await Should.ThrowAsync<NotSupportedException>(client.RestartAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        error.Message.ShouldContain("without a nanny");
        error.Message.ShouldContain("in-process LocalCluster");

        future.Status.ShouldBe(FutureStatus.Finished);
        (await client.GetClusterInfoAsync()).Workers.Count.ShouldBe(1);
    }
}

using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.ClientApi;

/// <summary>
/// Fire-and-forget on real worker processes: the task runs after its client left. Its own cluster, because the test
/// starts a third worker.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class FireAndForgetEndToEndTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task A_fire_and_forget_task_runs_after_its_client_left()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"shoal-fire-and-forget-{Guid.NewGuid():N}");
        var late = "late-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await using (var client = await cluster.ConnectAsync())
            {
                // Only a worker that does not exist yet may run it: it cannot have run before the client leaves.
                var write = client.Submit(static (string path) =>
                {
                    File.WriteAllText(path, WorkerContext.Name);
                    return 0;
                }, marker, new SubmitOptions { Workers = [late], Pure = false });
                client.FireAndForget([write]);
            }

            cluster.StartWorker(late);
            (await E2E.PollAsync(() => File.Exists(marker) && new FileInfo(marker).Length > 0, E2E.Timeout)).ShouldBeTrue("the task ran after its client left");
            (await File.ReadAllTextAsync(marker)).ShouldBe(late);
        }
        finally
        {
            File.Delete(marker);
        }
    }
}

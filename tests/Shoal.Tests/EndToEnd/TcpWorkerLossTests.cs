namespace Shoal.Tests.EndToEnd;

/// <summary>Over TCP with real processes: a worker process that dies takes nothing with it that can be recomputed.</summary>
[Collection(RealProcessesCollection.Name)]
public sealed class TcpWorkerLossTests
{
    private static string WaitForFile(string started, string release)
    {
        File.WriteAllText(Path.Combine(started, WorkerContext.Name!), "");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(release) && DateTime.UtcNow < deadline) Thread.Sleep(10);
        return WorkerContext.Name!;
    }

    [Fact]
    public async Task Work_on_a_killed_worker_is_rerun_elsewhere_and_lost_results_are_recomputed()
    {
        await using var scheduler = ShoalProcess.Start(["scheduler", "--port", "0"]);
        var address = await scheduler.WaitForSchedulerAddressAsync(E2E.Timeout);
        var workers = new Dictionary<string, ShoalProcess>();
        foreach (var name in new[] { "e2e-loss-a", "e2e-loss-b" })
        {
            workers[name] = ShoalProcess.Start(["worker", address, "--nthreads", "1", "--name", name]);
        }

        var dir = Directory.CreateTempSubdirectory("shoal-e2e-loss-").FullName;
        var release = Path.Combine(dir, "release");
        try
        {
            await using var client = await Client.ConnectAsync(address).WaitAsync(E2E.Timeout);
            await client.WaitForWorkersAsync(2).WaitAsync(E2E.Timeout);

            // A result that lives on one worker only...
            var made = client.Submit(static (int n) => (WorkerContext.Name!, Enumerable.Range(0, n).Sum()), 100);
            var (holder, sum) = await made.ResultAsync().WaitAsync(E2E.Timeout);
            sum.ShouldBe(4950);

            // ...one finished there but never fetched by the client...
            var unfetched = client.Submit(static (int n) => $"{n * 2}", 21, new SubmitOptions { Workers = [holder] , AllowOtherWorkers = true });
            await foreach (var _ in client.AsCompleted([unfetched]).WithCancellation(new CancellationTokenSource(E2E.Timeout).Token)) { }
            unfetched.Status.ShouldBe(FutureStatus.Finished);

            // ...and a task running there when it dies.
            var running = client.Submit(WaitForFile, dir, release, new SubmitOptions { Workers = [holder], AllowOtherWorkers = true });
            (await E2E.PollAsync(() => File.Exists(Path.Combine(dir, holder)), E2E.Timeout)).ShouldBeTrue("the task never started");
            await workers[holder].DisposeAsync(); // SIGKILL
            File.WriteAllText(release, "");

            var survivor = workers.Keys.Single(n => n != holder);
            (await running.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(survivor);
            var dependent = client.Submit(static ((string Worker, int Sum) x) => $"{x.Sum}@{WorkerContext.Name}", made);
            (await dependent.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe($"4950@{survivor}");
            (await client.GetClusterInfoAsync().WaitAsync(E2E.Timeout)).Workers.Select(w => w.Name).ShouldBe([survivor]);
            (await unfetched.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe("42");
        }
        finally
        {
            File.WriteAllText(release, "");
            foreach (var worker in workers.Values) await worker.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}

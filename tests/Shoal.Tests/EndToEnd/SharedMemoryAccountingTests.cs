namespace Shoal.Tests.EndToEnd;

/// <summary>
/// <c>shoal worker --nworkers N --no-nanny</c>: N workers in one process share its memory
/// accounting (issue 10). Each used to compare the whole process's memory with its own share of
/// the limit (total / N), so that with many workers all of them paused and resumed in a loop.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class SharedMemoryAccountingTests
{
    private static bool IsPauseLine(string line) => line.Contains(" paused: process memory", StringComparison.Ordinal);

    [Fact]
    public async Task Sixty_four_workers_in_one_process_under_the_process_limit_never_pause_and_run_a_map()
    {
        await using var scheduler = ShoalProcess.Start(["scheduler", "--port", "0"]);
        var address = await scheduler.WaitForSchedulerAddressAsync(E2E.Timeout);
        // 64 x 32 MiB = 2 GiB for the process (pause past 1.6 GiB); each worker's own share
        // pauses past 26 MiB, which the process passes at once.
        await using var workers = ShoalProcess.Start(["worker", address, "--nworkers", "64", "--no-nanny", "--nthreads", "1", "--memory-limit", "32MiB", "--name", "shared"]);
        await using var client = await Client.ConnectAsync(address).WaitAsync(E2E.Timeout);
        await client.WaitForWorkersAsync(64).WaitAsync(E2E.Timeout);
        var info = await client.GetClusterInfoAsync().WaitAsync(E2E.Timeout);
        info.Workers.ShouldAllBe(w => w.MemoryLimit == 32L << 20);
        var squares = client.Map(static (int x) => x * x, Enumerable.Range(0, 2000));
        var results = await client.GatherAsync(squares).WaitAsync(E2E.Timeout);
        results.Sum(x => (long)x).ShouldBe(Enumerable.Range(0, 2000).Sum(x => (long)x * x));

        // The workers start one after another and check memory every 100 ms from their
        // registration: by the time the 64th registered and the map ran, the first had checked
        // many times (each used to pause at its first check, and log it).
        workers.Output.Split('\n').Where(IsPauseLine).ShouldBeEmpty(workers.Output);
    }

    [Fact]
    public async Task Workers_in_one_process_pause_on_the_process_total_past_the_process_limit()
    {
        await using var scheduler = ShoalProcess.Start(["scheduler", "--port", "0"]);
        var address = await scheduler.WaitForSchedulerAddressAsync(E2E.Timeout);
        // 4 x 4 MiB = 16 MiB for the process, which any .NET process passes: they pause, and say the process threshold.
        await using var workers = ShoalProcess.Start(["worker", address, "--nworkers", "4", "--no-nanny", "--nthreads", "1", "--memory-limit", "4MiB", "--name", "tight"]);
        var line = await workers.WaitForLineAsync(IsPauseLine, E2E.Timeout);
        line.ShouldContain($"pause threshold {(long)(16L * 1024 * 1024 * 0.8)}");
    }
}

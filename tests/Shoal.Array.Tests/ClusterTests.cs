using Xunit.Abstractions;
using System.Diagnostics;
using Shoal.Arrays;

namespace Shoal.Array.Tests;

/// <summary>Arrays on worker processes: reproducible random numbers through a worker's death, memory bounded by a few chunks, wide graphs.</summary>
public sealed class ClusterTests(ITestOutputHelper output)
{
    private static async Task<Dense<double>> OnInProcessCluster(int workers, Func<Client, Task<Dense<double>>> compute)
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = workers, ThreadsPerWorker = 1 });
        await using var client = await Client.ConnectAsync(cluster);
        await client.WaitForWorkersAsync(workers);
        return await compute(client);
    }

    private static NDArray<double> Numbers(ulong seed) =>
        NDArray.Random.Normal(0, 1, [3, 400_000], chunks: [3, 20_000], seed: seed) + NDArray.Random.Uniform(0, 1, [400_000], chunks: [20_000], seed: seed + 1);

    [Fact]
    public async Task Same_seed_same_numbers_on_any_number_of_workers_and_after_a_worker_is_killed()
    {
        var one = await OnInProcessCluster(1, c => Numbers(7).ComputeAsync(c));
        var three = await OnInProcessCluster(3, c => Numbers(7).ComputeAsync(c));
        three.Data.ShouldBe(one.Data);

        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = 2, ThreadsPerWorker = 1 });
        await using var client = await Client.ConnectAsync(cluster);
        await client.WaitForWorkersAsync(2);
        var persisted = Numbers(7).Persist(client);
        var blocks = persisted.ToFutures(client);
        // Kill a worker as soon as the first chunk exists: the rest are computing or queued, and
        // what the dead worker held is computed again elsewhere.
        await Task.WhenAny(blocks.Select(b => b.ResultAsync()));
        using (var victim = Process.GetProcessById(cluster.WorkerProcessIds[0])) victim.Kill();
        var after = await persisted.ComputeAsync(client);
        after.Data.ShouldBe(one.Data);
        var sum = await persisted.Sum().ScalarAsync(client);
        sum.ShouldBe(one.Data.Sum(), 1e-6);
        persisted.Release();
    }

    [Fact]
    public async Task A_computation_larger_than_the_cluster_streams_with_a_few_chunks_per_worker()
    {
        const long limit = 400L << 20;
        const long chunk = 1L << 22; // 4 Mi float64 = 32 MiB per chunk
        const long n = 64 * chunk;   // 2 GiB of numbers for a cluster of 2 x 400 MiB
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = 2, ThreadsPerWorker = 1, MemoryLimitPerWorker = limit });
        await using var client = await Client.ConnectAsync(cluster);
        await client.WaitForWorkersAsync(2);
        // MapBlocks stores each chunk (a user kernel the optimizer cannot fuse), so chunks really exist.
        var x = NDArray.Random.Uniform(0, 1, [n], chunks: [chunk], seed: 3).MapBlocks((Dense<double> b) => b);
        var processes = cluster.WorkerProcessIds.Select(Process.GetProcessById).ToArray();
        var before = processes.Max(p => p.WorkingSet64);
        long peak = 0, peakHeld = 0;
        using var stop = new CancellationTokenSource();
        // The process's memory (against its limit), and what each worker holds as the scheduler sees it: what the GC
        // has not yet returned to the system does not count there, so the bound on chunks does not depend on when the
        // GC runs on a loaded machine.
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false) || true)
            {
                foreach (var p in processes)
                {
                    p.Refresh();
                    peak = Math.Max(peak, p.WorkingSet64);
                }

                var hasWhat = await client.HasWhatAsync(stop.Token).ConfigureAwait(false);
                var sizes = await client.NBytesAsync(stop.Token).ConfigureAwait(false);
                foreach (var keys in hasWhat.Values) peakHeld = Math.Max(peakHeld, keys.Sum(k => sizes.GetValueOrDefault(k)));
            }
        });
        var mean = await x.Mean().ScalarAsync(client);
        await stop.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(sampler);
        Math.Abs(mean - 0.5).ShouldBeLessThan(0.001);
        // A worker holds a few chunks at a time (running, stored, being reduced), never the array.
        output.WriteLine($"worker RSS before {before >> 20} MiB, peak {peak >> 20} MiB; most held by a worker {peakHeld >> 20} MiB; chunks of {chunk * 8 >> 20} MiB, {n * 8 >> 20} MiB in all");
        peak.ShouldBeLessThan(limit, $"peak worker RSS {peak >> 20} MiB");
        peakHeld.ShouldBeGreaterThan(0);
        peakHeld.ShouldBeLessThanOrEqualTo(4 * chunk * 8, $"a worker held {peakHeld >> 20} MiB at once: more than 4 chunks");
    }

    [Fact]
    public async Task A_graph_of_ten_thousand_chunks_computes()
    {
        await OnInProcessCluster(2, async client =>
        {
            var x = NDArray.Arange<long>(0, 100_000, chunks: 10);
            x.NumBlocks[0].ShouldBe(10_000);
            var total = await (x * 2L).Sum(splitEvery: 32).ScalarAsync(client);
            total.ShouldBe(99_999L * 100_000);
            return new Dense<double>([0], 1);
        });
    }
}

using System.Diagnostics;
using System.Text.Json;
using Shoal.Arrays;
using Shoal.Arrays.Graph;

namespace Shoal.Bench;

/// <summary>
/// Monte Carlo π as the seed and Dask's pi.py compute it, with Shoal.Array on worker processes:
/// <c>xxyy = Uniform(-1, 1, (2, S)); norm = Linalg.Norm(xxyy, axis: 0); Sum(norm &lt;= 1)</c>,
/// 64-bit uniforms. Usage: pi [--workers 2] [--threads 1] [--sizes 1e8 1e9] [--chunks auto 1e7] [--reps 3]
/// (<c>--chunks C</c>: chunks of (2, C); auto: about 128 MiB). Timed: building the graph to the
/// count on the client. Also: the fused kernel alone on one thread of this process, and the
/// workers' peak resident memory (sampled every 50 ms).
/// </summary>
public sealed class PiBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "pi";

    /// <inheritdoc />
    public string Description => "Monte Carlo pi with Shoal.Array as pi.py computes it (float64 uniforms, norm, compare, sum) on worker processes: samples/s";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 2);
        var threads = a.Int("threads", 1);
        var sizes = a.List("sizes", "1e8", "1e9");
        var chunkings = a.List("chunks", "auto", "1e7");
        var reps = a.Int("reps", 3);

        var kernel = KernelRate();
        Console.Error.WriteLine($"fused kernel on one thread of this process: {kernel / 1e6:N0} million samples per CPU second");

        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = workers, ThreadsPerWorker = threads }, cancellationToken);
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);
        ulong seed = 1;
        await EstimateAsync(client, 1_000_000, "auto", seed++, cancellationToken); // warm-up

        var results = new Dictionary<string, object>();
        var failures = 0;
        foreach (var size in sizes)
        {
            var samples = BenchArgs.ParseLong(size);
            foreach (var chunks in chunkings)
            {
                var secs = new List<double>();
                var cpus = new List<double>();
                var pis = new List<double>();
                var blocks = 0;
                using var sampler = new RssSampler(cluster.WorkerProcessIds);
                for (var rep = 0; rep < reps; rep++)
                {
                    var cpuBefore = WorkersCpu(cluster);
                    var (seconds, pi, n) = await EstimateAsync(client, samples, chunks, seed++, cancellationToken);
                    var cpu = WorkersCpu(cluster) - cpuBefore;
                    secs.Add(seconds);
                    cpus.Add(cpu);
                    pis.Add(pi);
                    blocks = n;
                    var z = ZScore(pi, samples);
                    var ok = Math.Abs(z) <= 5;
                    if (!ok) failures++;
                    Console.Error.WriteLine($"S={samples:0e0} chunks={chunks} ({n} blocks) rep {rep}: {seconds:0.000}s pi={pi:0.000000} ({z:+0.00;-0.00} sigma{(ok ? "" : ", TOO FAR")}), {samples / seconds / 1e6:N0} million samples/s; workers' CPU {cpu:0.00} s ({samples / cpu / 1e6:N0} million samples per worker CPU second), load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
                }

                var (peakSum, peakOne) = sampler.Stop();
                var median = BenchStats.Median(secs);
                results[$"S={size},chunks={chunks}"] = new Dictionary<string, object>
                {
                    ["samples"] = samples,
                    ["chunks"] = chunks,
                    ["blocks"] = blocks,
                    ["s_median"] = Math.Round(median, 4),
                    ["s_min"] = Math.Round(secs.Min(), 4),
                    ["s_max"] = Math.Round(secs.Max(), 4),
                    ["samples_per_s_median"] = Math.Round(samples / median),
                    ["workers_cpu_s_median"] = Math.Round(BenchStats.Median(cpus), 3),
                    ["samples_per_worker_cpu_s_median"] = Math.Round(samples / BenchStats.Median(cpus)),
                    ["pi"] = pis,
                    ["peak_rss_workers_sum_MB"] = Math.Round(peakSum / 1e6),
                    ["peak_rss_one_worker_MB"] = Math.Round(peakOne / 1e6),
                };
            }
        }

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "pi",
            ["shoal"] = BenchStats.ShoalVersion,
            ["workers"] = workers,
            ["threads"] = threads,
            ["reps"] = reps,
            ["kernel_one_thread_samples_per_s"] = Math.Round(kernel),
            ["estimates_beyond_5_sigma"] = failures,
            ["results"] = results,
        }));
        return failures == 0 ? 0 : 1;
    }

    private static (NDArray<long> Count, int Blocks) Count(long samples, string chunks, ulong seed)
    {
        var xxyy = NDArray.Random.Uniform(-1, 1, [2, samples], chunks: chunks == "auto" ? null : [2, BenchArgs.ParseLong(chunks)], seed: seed);
        var norm = Linalg.Norm(xxyy, axis: 0);
        return ((norm <= 1.0).Sum(), xxyy.NumBlocks[1]);
    }

    /// <summary>One estimate: seconds from building the graph to the count, π, and the number of blocks.</summary>
    private static async Task<(double Seconds, double Pi, int Blocks)> EstimateAsync(Client client, long samples, string chunks, ulong seed, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (count, blocks) = Count(samples, chunks, seed);
        var inside = await count.ScalarAsync(client, cancellationToken);
        return (clock.Elapsed.TotalSeconds, 4.0 * inside / samples, blocks);
    }

    /// <summary>CPU seconds the worker processes have used so far.</summary>
    internal static double WorkersCpu(LocalCluster cluster) => cluster.WorkerProcessIds.Sum(pid =>
    {
        using var p = System.Diagnostics.Process.GetProcessById(pid);
        return p.TotalProcessorTime.TotalSeconds;
    });

    private static double ZScore(double pi, long samples) => (pi - Math.PI) / (4 * Math.Sqrt(Math.PI / 4 * (1 - Math.PI / 4) / samples));

    /// <summary>The fused kernel of one 10^7-sample chunk on this thread: samples per CPU second (best of five after a warm-up).</summary>
    private static double KernelRate()
    {
        const long n = 10_000_000;
        var run = LocalKernel.Partial(Count(n, "1e7", 99).Count, 0);
        run();
        var best = 0.0;
        var self = Process.GetCurrentProcess();
        for (var i = 0; i < 5; i++)
        {
            // CPU time of this process (the kernel is its only busy thread): on a shared machine
            // the wall clock measures the neighbours as much as the kernel.
            self.Refresh();
            var cpu = self.TotalProcessorTime;
            var inside = ((long[])run())[0];
            self.Refresh();
            best = Math.Max(best, n / (self.TotalProcessorTime - cpu).TotalSeconds);
            if (i == 0) Console.Error.WriteLine($"kernel alone: pi={4.0 * inside / n:0.000000} ({ZScore(4.0 * inside / n, n):+0.00;-0.00} sigma)");
        }

        return best;
    }
}

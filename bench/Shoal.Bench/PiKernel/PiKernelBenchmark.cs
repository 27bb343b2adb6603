using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
namespace Shoal.Bench.PiKernel;

/// <summary>
/// Monte Carlo π with a hand-written float32 kernel (one future per chunk running
/// <see cref="MonteCarlo.CountInside"/>, the client sums the counts; what examples/Pi did before
/// it moved to Shoal.Array), on worker processes over TCP. A kernel benchmark: it does not compute
/// what Dask's pi.py computes (see <c>pi</c> for that).
/// Usage: pi-kernel [--workers 2] [--threads 1] [--sizes 1e8 1e9] [--chunks auto 1e7] [--reps 3]
/// <c>--chunks auto</c> = the example's default (4 tasks per worker thread, at least 10^6
/// samples each); a number C = chunks of C samples. Timed: submitting the tasks to the summed
/// count on the client. Every estimate is checked to lie within 5 standard errors of π. Also
/// reports the kernel alone on one thread of this process (no cluster), and the workers' peak
/// resident memory (sampled every 50 ms).
/// </summary>
public sealed class PiKernelBenchmark : IBenchmark
{
    private static readonly Func<long, long, long> Count = static (count, seed) => MonteCarlo.CountInside(count, (ulong)seed);

    /// <inheritdoc />
    public string Name => "pi-kernel";

    /// <inheritdoc />
    public string Description => "Monte Carlo pi with futures and a float32 SIMD kernel (the old examples/Pi) on worker processes: samples/s";

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
        Console.Error.WriteLine($"kernel on one thread of this process: {kernel / 1e6:N0} million samples/s");

        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = workers, ThreadsPerWorker = threads }, cancellationToken);
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);
        var totalThreads = Math.Max(1, (await client.GetClusterInfoAsync(cancellationToken)).Workers.Sum(w => w.NThreads));
        long seed = 1;
        await EstimateAsync(client, 1_000_000, "auto", totalThreads, () => seed++, cancellationToken); // warm-up

        var results = new Dictionary<string, object>();
        var failures = 0;
        foreach (var size in sizes)
        {
            var samples = BenchArgs.ParseLong(size);
            foreach (var chunks in chunkings)
            {
                var secs = new List<double>();
                var pis = new List<double>();
                var tasks = 0;
                using var sampler = new RssSampler(cluster.WorkerProcessIds);
                for (var rep = 0; rep < reps; rep++)
                {
                    var (seconds, pi, n) = await EstimateAsync(client, samples, chunks, totalThreads, () => seed++, cancellationToken);
                    secs.Add(seconds);
                    pis.Add(pi);
                    tasks = n;
                    // Within 5 standard errors: a sound estimator fails this about once in 10^6 runs.
                    var z = ZScore(pi, samples);
                    var ok = Math.Abs(z) <= 5;
                    if (!ok) failures++;
                    Console.Error.WriteLine($"S={samples:0e0} chunks={chunks} ({n} tasks) rep {rep}: {seconds:0.000}s pi={pi:0.000000} ({z:+0.00;-0.00} sigma{(ok ? "" : ", TOO FAR")}), {samples / seconds / 1e6:N0} million samples/s");
                }

                var (peakSum, peakOne) = sampler.Stop();
                var median = BenchStats.Median(secs);
                results[$"S={size},chunks={chunks}"] = new Dictionary<string, object>
                {
                    ["samples"] = samples,
                    ["chunks"] = chunks,
                    ["blocks"] = tasks,
                    ["s_median"] = Math.Round(median, 4),
                    ["s_min"] = Math.Round(secs.Min(), 4),
                    ["s_max"] = Math.Round(secs.Max(), 4),
                    ["samples_per_s_median"] = Math.Round(samples / median),
                    ["pi"] = pis,
                    ["peak_rss_workers_sum_MB"] = Math.Round(peakSum / 1e6),
                    ["peak_rss_one_worker_MB"] = Math.Round(peakOne / 1e6),
                };
            }
        }

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "pi-kernel",
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

    /// <summary>One estimate: seconds from the first Submit to the summed count, π, and the number of tasks.</summary>
    private static async Task<(double Seconds, double Pi, int Tasks)> EstimateAsync(Client client, long samples, string chunks, int threads, Func<long> nextSeed, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var chunk = chunks == "auto" ? Math.Max(1_000_000, samples / (threads * 4)) : BenchArgs.ParseLong(chunks);
        var counts = new List<Future<long>>();
        for (long start = 0; start < samples; start += chunk)
        {
            counts.Add(client.Submit(Count, Math.Min(chunk, samples - start), nextSeed()));
        }

        var inside = (await client.GatherAsync(counts, cancellationToken)).Sum();
        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var future in counts) future.Dispose();
        return (seconds, 4.0 * inside / samples, counts.Count);
    }

    /// <summary>How many standard errors an estimate is from π (the estimate is 4p̂, p = π/4, binomial).</summary>
    private static double ZScore(double pi, long samples) => (pi - Math.PI) / (4 * Math.Sqrt(Math.PI / 4 * (1 - Math.PI / 4) / samples));

    /// <summary>The kernel alone, on this thread: samples/s (best of three after a warm-up).</summary>
    private static double KernelRate()
    {
        MonteCarlo.CountInside(10_000_000, 12345);
        var best = 0.0;
        for (var i = 0; i < 3; i++)
        {
            const long n = 100_000_000;
            var clock = Stopwatch.StartNew();
            var inside = MonteCarlo.CountInside(n, (ulong)(1000 + i));
            best = Math.Max(best, n / clock.Elapsed.TotalSeconds);
            Console.Error.WriteLine($"kernel alone, seed {1000 + i}: pi={4.0 * inside / n:0.000000} ({ZScore(4.0 * inside / n, n):+0.00;-0.00} sigma)");
        }

        return best;
    }
}

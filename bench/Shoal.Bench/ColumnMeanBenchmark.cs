using System.Diagnostics;
using System.Text.Json;
using Shoal.Arrays;

namespace Shoal.Bench;

/// <summary>
/// The column means of a tall 2-D float64 array generated on the workers (uniform random numbers,
/// never stored: each chunk's partial sums are folded as it is generated), on worker processes.
/// Usage: column-mean [--workers 2] [--threads 1] [--gb 8] [--columns 1000] [--chunk-mb 128] [--reps 3]
/// Timed: building the graph to the means on the client. GB/s = bytes of float64 reduced per second.
/// </summary>
public sealed class ColumnMeanBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "column-mean";

    /// <inheritdoc />
    public string Description => "Shoal.Array: column means of a (N, 1000) float64 array generated on the workers: GB/s";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 2);
        var threads = a.Int("threads", 1);
        var gb = double.Parse(a.Value("gb") ?? "8", System.Globalization.CultureInfo.InvariantCulture);
        var columns = a.Int("columns", 1000);
        var chunkMb = a.Int("chunk-mb", 128);
        var reps = a.Int("reps", 3);
        var rows = (long)(gb * 1e9 / 8 / columns);
        var chunkRows = Math.Max(1, (long)chunkMb * (1 << 20) / 8 / columns);

        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = workers, ThreadsPerWorker = threads }, cancellationToken);
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);
        await Means(client, 10_000, columns, 1000, 1, cancellationToken); // warm-up

        var secs = new List<double>();
        var cpus = new List<double>();
        var failures = 0;
        using var sampler = new RssSampler(cluster.WorkerProcessIds);
        for (var rep = 0; rep < reps; rep++)
        {
            var cpuBefore = PiBenchmark.WorkersCpu(cluster);
            var clock = Stopwatch.StartNew();
            var means = await Means(client, rows, columns, chunkRows, (ulong)(rep + 2), cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            var cpu = PiBenchmark.WorkersCpu(cluster) - cpuBefore;
            secs.Add(seconds);
            cpus.Add(cpu);
            // Each mean of `rows` uniforms on [0, 1) is 0.5 within 6 standard errors.
            var worst = means.Max(m => Math.Abs(m - 0.5)) / Math.Sqrt(1.0 / 12 / rows);
            if (worst > 6) failures++;
            Console.Error.WriteLine($"{rows:N0} x {columns} ({rows * columns * 8 / 1e9:0.0} GB, chunks of {chunkRows:N0} rows) rep {rep}: {seconds:0.000}s, {rows * columns * 8 / 1e9 / seconds:0.00} GB/s, worst column {worst:0.0} sigma from 0.5; workers' CPU {cpu:0.00} s ({rows * columns * 8 / 1e9 / cpu:0.00} GB per worker CPU second), load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        }

        var (peakSum, peakOne) = sampler.Stop();
        var median = BenchStats.Median(secs);
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "column-mean",
            ["shoal"] = BenchStats.ShoalVersion,
            ["workers"] = workers,
            ["threads"] = threads,
            ["rows"] = rows,
            ["columns"] = columns,
            ["chunk_rows"] = chunkRows,
            ["bytes"] = rows * columns * 8,
            ["s_median"] = Math.Round(median, 4),
            ["s_min"] = Math.Round(secs.Min(), 4),
            ["gb_per_s_median"] = Math.Round(rows * columns * 8 / 1e9 / median, 3),
            ["workers_cpu_s_median"] = Math.Round(BenchStats.Median(cpus), 3),
            ["means_beyond_6_sigma"] = failures,
            ["peak_rss_workers_sum_MB"] = Math.Round(peakSum / 1e6),
            ["peak_rss_one_worker_MB"] = Math.Round(peakOne / 1e6),
        }));
        return failures == 0 ? 0 : 1;
    }

    private static Task<double[]> Means(Client client, long rows, int columns, long chunkRows, ulong seed, CancellationToken cancellationToken) =>
        NDArray.Random.Uniform(0, 1, [rows, columns], chunks: [chunkRows, -1], seed: seed).Mean([0]).ToArrayAsync(client, cancellationToken);
}

using System.Diagnostics;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// A map/reduce flow with futures, the Shoal side of ../shared/dask-baseline/mapreduce.py:
/// <c>ys = client.Map(timesTwo, range(N)); total = client.Submit(sum, ys); await total</c>
/// (N + 1 tasks) on worker processes over TCP. Reports the cluster start, the first ("cold")
/// run on the fresh cluster, and the median of the warm repetitions (fresh keys each time).
/// Usage: mapreduce [--workers 2] [--threads 1] [--n 10000] [--reps 3]
/// </summary>
public sealed class MapReduceBenchmark : IBenchmark
{
    private static readonly Func<long, long> TimesTwo = static x => x * 2;
    private static readonly Func<long[], long> Sum = static v => v.Sum();

    /// <inheritdoc />
    public string Name => "mapreduce";

    /// <inheritdoc />
    public string Description => "Map of N futures then one Submit summing them, on worker processes (like mapreduce.py)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 2);
        var threads = a.Int("threads", 1);
        var n = a.Int("n", 10_000);
        var reps = a.Int("reps", 3);

        var clock = Stopwatch.StartNew();
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = workers, ThreadsPerWorker = threads }, cancellationToken);
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);
        var startSeconds = clock.Elapsed.TotalSeconds;
        var cold = await FlowAsync(client, n, 0, cancellationToken);
        await ThroughputBenchmark.DrainAsync(client, cancellationToken);
        Console.Error.WriteLine($"cluster start {startSeconds:0.00}s, cold run {cold:0.000}s");

        var secs = new List<double>();
        for (var rep = 0; rep < reps; rep++)
        {
            secs.Add(await FlowAsync(client, n, (long)(rep + 1) * n, cancellationToken));
            await ThroughputBenchmark.DrainAsync(client, cancellationToken);
            Console.Error.WriteLine($"rep {rep}: {secs[^1]:0.000}s");
        }

        var median = BenchStats.Median(secs);
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "mapreduce",
            ["shoal"] = BenchStats.ShoalVersion,
            ["workers"] = workers,
            ["threads"] = threads,
            ["n"] = n,
            ["reps"] = reps,
            ["cluster_start_s"] = Math.Round(startSeconds, 3),
            ["cold_s"] = Math.Round(cold, 4),
            ["s_median"] = Math.Round(median, 4),
            ["s_min"] = Math.Round(secs.Min(), 4),
            ["s_max"] = Math.Round(secs.Max(), 4),
            ["tasks_per_s_median"] = Math.Round((n + 1) / median, 1),
        }));
        return 0;
    }

    private static async Task<double> FlowAsync(Client client, int n, long offset, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var ys = client.Map(TimesTwo, Range(offset, n));
        using var total = client.Submit(Sum, ys);
        var result = await total.ResultAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var y in ys) y.Dispose();
        var expected = 2 * (offset * n + (long)n * (n - 1) / 2);
        if (result != expected) throw new InvalidOperationException($"wrong result: {result}, expected {expected}");
        return seconds;
    }

    private static IEnumerable<long> Range(long start, int count)
    {
        for (var i = 0; i < count; i++) yield return start + i;
    }
}

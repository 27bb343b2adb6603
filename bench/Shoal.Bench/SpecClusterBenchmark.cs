using System.Diagnostics;
using System.Text.Json;
using Shoal.Deploy;

namespace Shoal.Bench;

/// <summary>
/// SpecCluster with worker processes (ProcessWorkerLauncher): from StartAsync to N workers
/// registered, and ScaleAsync from 2 to N while a load of short tasks keeps the 2 busy.
/// Usage: spec-cluster [--workers 8] [--reps 3]
/// </summary>
public sealed class SpecClusterBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "spec-cluster";

    /// <inheritdoc />
    public string Description => "SpecCluster of worker processes: start to N registered, and scale 2 -> N under load";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 8);
        var reps = a.Int("reps", 3);
        var start = new List<double>();
        var scale = new List<double>();
        for (var rep = 0; rep < reps; rep++)
        {
            var clock = Stopwatch.StartNew();
            await using (var cluster = await SpecCluster.StartAsync(new SpecClusterOptions { Launcher = new ProcessWorkerLauncher(), Workers = workers }, cancellationToken))
            {
                start.Add(clock.Elapsed.TotalSeconds);
            }

            await using (var cluster = await SpecCluster.StartAsync(new SpecClusterOptions { Launcher = new ProcessWorkerLauncher(), Workers = 2 }, cancellationToken))
            {
                await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
                // Load: tasks of ~10 ms of work each, far more than 2 workers finish while the others start.
                var load = client.Map(static (int x) => { var end = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100; while (Stopwatch.GetTimestamp() < end) { } return x; }, Enumerable.Range(rep * 100_000, 2000)).ToList();
                await client.WaitForWorkersAsync(2, cancellationToken);
                clock.Restart();
                await cluster.ScaleAsync(workers, cancellationToken);
                scale.Add(clock.Elapsed.TotalSeconds);
                await client.GatherAsync(load, cancellationToken);
            }

            Console.Error.WriteLine($"rep {rep + 1}: {workers} processes ready in {start[^1]:0.000} s; 2 -> {workers} under load in {scale[^1]:0.000} s");
        }

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = Name, workers, reps,
            start_median_s = BenchStats.Median(start), start_all_s = start,
            scale_median_s = BenchStats.Median(scale), scale_all_s = scale,
        }));
        return 0;
    }
}

using System.Diagnostics;
using System.Text.Json;
using Shoal.Arrays;

namespace Shoal.Bench;

/// <summary>
/// How long a wide array graph takes to build and hand to the scheduler: an element-wise
/// expression and a sum over 10^4 chunks (10^4 fused tasks plus the tree), from the first
/// operation to the last Submit returning, then to the result. In-process cluster.
/// Usage: array-graph [--chunks 10000] [--reps 5]
/// </summary>
public sealed class ArrayGraphBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "array-graph";

    /// <inheritdoc />
    public string Description => "Shoal.Array: build and submit a graph of 10^4 chunks (seconds to submit, to result)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var chunks = a.Int("chunks", 10_000);
        var reps = a.Int("reps", 5);
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2, ThreadsPerWorker = 1 }, cancellationToken);
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(2, cancellationToken);
        var submit = new List<double>();
        var submitCpu = new List<double>();
        var total = new List<double>();
        var self = Process.GetCurrentProcess();
        for (var rep = 0; rep <= reps; rep++)
        {
            self.Refresh();
            var cpu = self.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var x = NDArray.Random.Uniform(0, 1, [chunks * 100L], chunks: [100], seed: (ulong)rep);
            var y = (NDArray.Sqrt(x) * 2.0 + 1.0).Sum(splitEvery: 16);
            var futures = y.ToFutures(client);
            var submitted = clock.Elapsed.TotalSeconds;
            self.Refresh();
            var submittedCpu = (self.TotalProcessorTime - cpu).TotalSeconds;
            var sum = (double[])await futures[0].ResultAsync(cancellationToken);
            var done = clock.Elapsed.TotalSeconds;
            foreach (var f in futures) f.Dispose();
            if (rep == 0) continue; // warm-up
            submit.Add(submitted);
            submitCpu.Add(submittedCpu);
            total.Add(done);
            Console.Error.WriteLine($"{chunks:N0} chunks: graph built and submitted in {submitted:0.000} s ({submittedCpu:0.000} s of CPU, all threads of this process), result {sum[0]:0.0} in {done:0.000} s");
        }

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "array-graph",
            ["shoal"] = BenchStats.ShoalVersion,
            ["chunks"] = chunks,
            ["submit_s_median"] = Math.Round(BenchStats.Median(submit), 4),
            ["submit_cpu_s_median"] = Math.Round(BenchStats.Median(submitCpu), 4),
            ["total_s_median"] = Math.Round(BenchStats.Median(total), 4),
        }));
        return 0;
    }
}

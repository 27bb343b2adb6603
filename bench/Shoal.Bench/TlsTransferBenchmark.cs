using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// Worker-to-worker transfer end to end, over tcp:// and over tls://, as
/// ../shared/dask-baseline/transfer.py measures it: a 2-worker <c>LocalCluster</c> with processes;
/// per repetition a task on worker A makes an array of random doubles (untimed), then a task on
/// worker B takes its length (timed: scheduling, the A -> B transfer, deserialization on B). A
/// tiny (8 byte) array gives the fixed latency, which <c>net_MB_per_s</c> subtracts.
/// The two clusters run one after the other, repetitions alternate between them. Per size, each
/// scheme first runs <c>--warmup</c> untimed-in-the-median repetitions (a fresh worker process
/// runs its receive path at tier-0 JIT the first time: that repetition is reported on its own as
/// <c>warmup_s</c>), then <c>--reps</c> timed ones; medians are over the timed ones only.
/// The CPU time of worker A (sending) and worker B (receiving) during the timed part is reported
/// per GB: load disturbs it less than MB/s, and it bounds what a free core per worker would reach.
/// Args: <c>--sizes 1e9</c> (bytes, default 1e8 1e9), <c>--reps 3</c> (at least 3), <c>--warmup 1</c>, <c>--schemes tcp tls</c>.
/// </summary>
public sealed class TlsTransferBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "tls-transfer";

    /// <inheritdoc />
    public string Description => "worker A -> worker B transfer of a double[] over tcp:// and tls:// (like transfer.py)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var sizes = a.List("sizes", "1e8", "1e9").Select(BenchArgs.ParseLong).ToArray();
        var reps = Math.Max(3, a.Int("reps", 3));
        var warmup = Math.Max(0, a.Int("warmup", 1));
        var schemes = a.List("schemes", "tcp", "tls").SelectMany(s => s.Split(',')).ToArray();

        var clusters = new List<(string Scheme, LocalCluster Cluster, Client Client, Worker A, Worker B)>();
        var results = new Dictionary<string, object> { ["bench"] = "tls-transfer", ["shoal"] = BenchStats.ShoalVersion, ["workers"] = 2, ["threads"] = 1, ["reps"] = reps, ["warmup_reps"] = warmup,
            ["note"] = $"per size and scheme: {warmup} warm-up repetition(s) first (reported as warmup_s, not in the medians), then {reps} timed ones (s_all); medians over the timed ones" };
        try
        {
            foreach (var scheme in schemes)
            {
                var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
                {
                    Processes = true,
                    Workers = 2,
                    ThreadsPerWorker = 1,
                    Security = scheme == "tls" ? SecurityOptions.Temporary() : null,
                }, cancellationToken);
                var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
                await client.WaitForWorkersAsync(2, cancellationToken);
                var names = (await client.GetClusterInfoAsync(cancellationToken)).Workers.Select(w => w.Name).Order(StringComparer.Ordinal).ToArray();
                var workers = new List<Worker>();
                foreach (var name in names)
                {
                    var pid = await client.Submit(static () => Environment.ProcessId, new SubmitOptions { Workers = [name], AllowOtherWorkers = false, Pure = false }).ResultAsync(cancellationToken);
                    workers.Add(new Worker(name, Process.GetProcessById(pid)));
                }
                clusters.Add((scheme, cluster, client, workers[0], workers[1]));
                Console.Error.WriteLine($"{scheme}: cluster at {cluster.SchedulerAddress}, workers {names[0]} and {names[1]}");
                await TransferAsync(client, workers[0], workers[1], 1000, cancellationToken); // warm-up: code loaded, A -> B connection open
            }

            foreach (var (scheme, _, client, workerA, workerB) in clusters)
            {
                var tiny = new List<double>();
                for (var i = 0; i < Math.Max(reps, 5); i++) tiny.Add((await TransferAsync(client, workerA, workerB, 1, cancellationToken)).Seconds);
                results[$"{scheme}_tiny_8B"] = Summary(tiny);
                Console.Error.WriteLine($"{scheme}: tiny transfer latency median {BenchStats.Median(tiny) * 1e3:0.00} ms");
            }

            foreach (var bytes in sizes)
            {
                var seconds = clusters.ToDictionary(c => c.Scheme, _ => new List<double>());
                var cpuA = clusters.ToDictionary(c => c.Scheme, _ => new List<double>());
                var cpuB = clusters.ToDictionary(c => c.Scheme, _ => new List<double>());
                var warm = clusters.ToDictionary(c => c.Scheme, _ => new List<double>());
                for (var rep = -warmup; rep < reps; rep++)
                {
                    foreach (var (scheme, _, client, workerA, workerB) in clusters)
                    {
                        var (s, sendCpu, receiveCpu) = await TransferAsync(client, workerA, workerB, (int)(bytes / 8), cancellationToken);
                        (rep < 0 ? warm : seconds)[scheme].Add(s);
                        if (rep >= 0)
                        {
                            cpuA[scheme].Add(sendCpu / (bytes / 1e9));
                            cpuB[scheme].Add(receiveCpu / (bytes / 1e9));
                        }
                        var label = rep < 0 ? $"warm-up {rep + warmup}" : $"rep {rep}";
                        Console.Error.WriteLine($"{scheme} {bytes / 1e6:0} MB {label}: A->B {s:0.000}s = {bytes / 1e6 / s:0} MB/s; CPU s: A (sends) {sendCpu:0.00}, B (receives) {receiveCpu:0.00}");
                    }
                }
                foreach (var (scheme, list) in seconds)
                {
                    var median = BenchStats.Median(list);
                    var latency = BenchStats.Median(((Dictionary<string, object>)results[$"{scheme}_tiny_8B"])["all"] as double[] ?? [0]);
                    results[$"{scheme}_{bytes / 1e6:0}MB"] = new Dictionary<string, object>
                    {
                        ["bytes"] = bytes,
                        ["s_median"] = Math.Round(median, 4),
                        ["s_min"] = Math.Round(list.Min(), 4),
                        ["s_max"] = Math.Round(list.Max(), 4),
                        ["MB_per_s_median"] = Math.Round(bytes / 1e6 / median),
                        ["MB_per_s_max"] = Math.Round(bytes / 1e6 / list.Min()),
                        ["net_MB_per_s_median"] = Math.Round(bytes / 1e6 / Math.Max(median - latency, 1e-9)),
                        ["s_all"] = list.Select(x => Math.Round(x, 4)).ToArray(),
                        ["MB_per_s_all"] = list.Select(x => Math.Round(bytes / 1e6 / x)).ToArray(),
                        ["warmup_s"] = warm[scheme].Select(x => Math.Round(x, 4)).ToArray(),
                        ["cpu_s_per_GB_A_median"] = Math.Round(BenchStats.Median(cpuA[scheme]), 3),
                        ["cpu_s_per_GB_B_median"] = Math.Round(BenchStats.Median(cpuB[scheme]), 3),
                    };
                    Console.Error.WriteLine($"{scheme} {bytes / 1e6:0} MB: median {bytes / 1e6 / median:0} MB/s over {list.Count} timed reps " +
                        $"({string.Join(", ", list.Select(x => $"{bytes / 1e6 / x:0}"))}); warm-up excluded: {string.Join(", ", warm[scheme].Select(x => $"{bytes / 1e6 / x:0}"))} MB/s; " +
                        $"CPU s per GB, medians: A {BenchStats.Median(cpuA[scheme]):0.00}, B {BenchStats.Median(cpuB[scheme]):0.00}");
                }
            }
        }
        finally
        {
            foreach (var (_, cluster, client, _, _) in clusters)
            {
                await client.DisposeAsync();
                await cluster.DisposeAsync();
            }
        }
        Console.WriteLine(JsonSerializer.Serialize(results));
        return 0;
    }

    private static Dictionary<string, object> Summary(List<double> seconds) => new()
    {
        ["s_median"] = Math.Round(BenchStats.Median(seconds), 5),
        ["s_min"] = Math.Round(seconds.Min(), 5),
        ["s_max"] = Math.Round(seconds.Max(), 5),
        ["all"] = seconds.ToArray(),
    };

    private sealed record Worker(string Name, Process Process)
    {
        public double CpuSeconds()
        {
            Process.Refresh();
            return Process.TotalProcessorTime.TotalSeconds;
        }
    }

    /// <summary>
    /// Makes <paramref name="count"/> doubles on worker A (untimed), then times a task on B that
    /// takes their length; also the CPU seconds A and B spent meanwhile.
    /// </summary>
    private static async Task<(double Seconds, double CpuA, double CpuB)> TransferAsync(Client client, Worker a, Worker b, int count, CancellationToken cancellationToken)
    {
        var (workerA, workerB) = (a.Name, b.Name);
        var made = client.Submit(static (int n) =>
        {
            var values = GC.AllocateUninitializedArray<double>(n);
            var random = new Random(n);
            for (var i = 0; i < values.Length; i++) values[i] = random.NextDouble();
            return values;
        }, count, new SubmitOptions { Workers = [workerA], AllowOtherWorkers = false, Pure = false });
        await WaitDoneAsync(made, cancellationToken);
        var (cpuA, cpuB) = (a.CpuSeconds(), b.CpuSeconds());
        var clock = Stopwatch.StartNew();
        var length = client.Submit(static (double[] values) => values.Length, made, new SubmitOptions { Workers = [workerB], AllowOtherWorkers = false, Pure = false });
        var n = await length.ResultAsync(cancellationToken);
        var elapsed = clock.Elapsed.TotalSeconds;
        (cpuA, cpuB) = (a.CpuSeconds() - cpuA, b.CpuSeconds() - cpuB);
        if (n != count) throw new InvalidOperationException($"worker B saw {n} doubles, not {count}");
        made.Dispose();
        length.Dispose();
        await ThroughputBenchmark.DrainAsync(client, cancellationToken);
        return (elapsed, cpuA, cpuB);
    }

    /// <summary>Waits until the future is finished, without fetching its value to the client.</summary>
    private static async Task WaitDoneAsync(Future future, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!future.IsDone)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"{future} not done after 5 minutes");
            await Task.Delay(5, cancellationToken);
        }
        if (future.Status != FutureStatus.Finished) throw new InvalidOperationException($"{future} ended {future.Status}");
    }
}

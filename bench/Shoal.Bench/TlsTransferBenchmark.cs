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

        var clusters = new List<(string Scheme, LocalCluster Cluster, Client Client, string A, string B)>();
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
                clusters.Add((scheme, cluster, client, names[0], names[1]));
                Console.Error.WriteLine($"{scheme}: cluster at {cluster.SchedulerAddress}, workers {names[0]} and {names[1]}");
                await TransferAsync(client, names[0], names[1], 1000, cancellationToken); // warm-up: code loaded, A -> B connection open
            }

            foreach (var (scheme, _, client, workerA, workerB) in clusters)
            {
                var tiny = new List<double>();
                for (var i = 0; i < Math.Max(reps, 5); i++) tiny.Add(await TransferAsync(client, workerA, workerB, 1, cancellationToken));
                results[$"{scheme}_tiny_8B"] = Summary(tiny);
                Console.Error.WriteLine($"{scheme}: tiny transfer latency median {BenchStats.Median(tiny) * 1e3:0.00} ms");
            }

            foreach (var bytes in sizes)
            {
                var seconds = clusters.ToDictionary(c => c.Scheme, _ => new List<double>());
                var warm = clusters.ToDictionary(c => c.Scheme, _ => new List<double>());
                for (var rep = -warmup; rep < reps; rep++)
                {
                    foreach (var (scheme, _, client, workerA, workerB) in clusters)
                    {
                        var s = await TransferAsync(client, workerA, workerB, (int)(bytes / 8), cancellationToken);
                        (rep < 0 ? warm : seconds)[scheme].Add(s);
                        var label = rep < 0 ? $"warm-up {rep + warmup}" : $"rep {rep}";
                        Console.Error.WriteLine($"{scheme} {bytes / 1e6:0} MB {label}: A->B {s:0.000}s = {bytes / 1e6 / s:0} MB/s");
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
                    };
                    Console.Error.WriteLine($"{scheme} {bytes / 1e6:0} MB: median {bytes / 1e6 / median:0} MB/s over {list.Count} timed reps " +
                        $"({string.Join(", ", list.Select(x => $"{bytes / 1e6 / x:0}"))}); warm-up excluded: {string.Join(", ", warm[scheme].Select(x => $"{bytes / 1e6 / x:0}"))} MB/s");
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

    /// <summary>Makes <paramref name="count"/> doubles on worker A (untimed), then times a task on B that takes their length.</summary>
    private static async Task<double> TransferAsync(Client client, string workerA, string workerB, int count, CancellationToken cancellationToken)
    {
        var made = client.Submit(static (int n) =>
        {
            var values = GC.AllocateUninitializedArray<double>(n);
            var random = new Random(n);
            for (var i = 0; i < values.Length; i++) values[i] = random.NextDouble();
            return values;
        }, count, new SubmitOptions { Workers = [workerA], AllowOtherWorkers = false, Pure = false });
        await WaitDoneAsync(made, cancellationToken);
        var clock = Stopwatch.StartNew();
        var length = client.Submit(static (double[] values) => values.Length, made, new SubmitOptions { Workers = [workerB], AllowOtherWorkers = false, Pure = false });
        var n = await length.ResultAsync(cancellationToken);
        var elapsed = clock.Elapsed.TotalSeconds;
        if (n != count) throw new InvalidOperationException($"worker B saw {n} doubles, not {count}");
        made.Dispose();
        length.Dispose();
        await ThroughputBenchmark.DrainAsync(client, cancellationToken);
        return elapsed;
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

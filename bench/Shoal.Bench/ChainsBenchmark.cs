using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// Chains of dependent no-op tasks as a new user meets them (issue 10, item 2): a <c>shoal scheduler</c> process and
/// <c>shoal worker --nthreads T</c> processes started as a user starts them, then a fresh client process that times a
/// warm-up chain of <c>client.Submit</c> futures, then a chain of N <c>Submit</c>s (each link submitted as the client
/// builds it, all awaited at the end) and a <c>Delayed</c> chain of N links (one graph). Every repetition starts
/// everything afresh. Figures are µs per link. Dask's side: bench/dask/chains.py (dask-scheduler, dask-worker, a
/// fresh client, the same three chains).
/// Usage: chains [--workers 2] [--threads 1] [--n 5000] [--reps 3] [--no-nanny] [--cli PATH/Shoal.Cli.dll]
/// (--cli: the shoal CLI that runs the scheduler and workers, by default the one beside this program; the client is
/// always this program).
/// </summary>
public sealed class ChainsBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "chains";

    /// <inheritdoc />
    public string Description => "5,000-link chains of Submit futures and of Delayed, fresh `shoal scheduler` + `shoal worker` processes and client (µs per link)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        if (a.Value("child") == "client")
        {
            return await ClientChildAsync(a.Value("scheduler")!, a.Int("workers", 2), a.Int("n", 5000), cancellationToken);
        }

        var workers = a.Int("workers", 2);
        var threads = a.Int("threads", 1);
        var n = a.Int("n", 5000);
        var reps = a.Int("reps", 3);
        var nanny = !a.Has("no-nanny");
        var cli = Path.GetFullPath(a.Value("cli") ?? Path.Combine(AppContext.BaseDirectory, "Shoal.Cli.dll"));

        var rows = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        for (var rep = 0; rep < reps; rep++)
        {
            var figures = await OneRunAsync(cli, n, workers, threads, nanny, cancellationToken);
            foreach (var (k, v) in figures)
            {
                if (!rows.TryGetValue(k, out var list)) rows[k] = list = [];
                list.Add(v);
            }

            Console.Error.WriteLine($"chains n={n} rep {rep}: " + string.Join(", ", figures.Select(f => $"{f.Key}={f.Value:0.###}")));
        }

        var results = new Dictionary<string, object>();
        foreach (var kind in new[] { "warmup_fchain", "fchain", "chain" })
        {
            var us = rows[$"{kind}_us_per_link"];
            results[$"{kind}_{n}"] = new Dictionary<string, object>
            {
                ["tasks"] = n,
                ["us_per_task_median"] = Math.Round(BenchStats.Median(us), 1),
                ["tasks_per_s_median"] = Math.Round(1e6 / BenchStats.Median(us), 1),
                ["us_per_link"] = BenchStats.Summary(us),
            };
        }

        // The shape of throughput's JSON (bench/run reads "results"), plus the CLI that ran the cluster (before/after builds).
        var report = new { bench = "chains", shoal = BenchStats.ShoalVersion, cli, workers, threads, reps, nanny, results };
        Console.WriteLine(JsonSerializer.Serialize(report));
        return 0;
    }

    private static async Task<Dictionary<string, double>> OneRunAsync(string cli, int n, int workers, int threads, bool nanny, CancellationToken cancellationToken)
    {
        var started = new List<Process>();
        try
        {
            var (address, _) = await FirstRunBenchmark.StartClusterAsync(cli, workers, threads, nanny, started, cancellationToken);
            var client = FirstRunBenchmark.Start(Path.Combine(AppContext.BaseDirectory, "Shoal.Bench.dll"),
                ["chains", "--child", "client", "--scheduler", address, "--workers", workers.ToString(CultureInfo.InvariantCulture), "--n", n.ToString(CultureInfo.InvariantCulture)],
                redirectOut: true);
            started.Add(client);
            var output = await client.StandardOutput.ReadToEndAsync(cancellationToken);
            await client.WaitForExitAsync(cancellationToken);
            if (client.ExitCode != 0) throw new InvalidOperationException($"the client process exited with {client.ExitCode}");
            var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(l => l.StartsWith('{'));
            return JsonSerializer.Deserialize<Dictionary<string, double>>(line)!;
        }
        finally
        {
            await FirstRunBenchmark.StopAllAsync(started);
        }
    }

    /// <summary>The fresh client: a warm-up Submit chain, then the timed Submit chain and Delayed chain.</summary>
    private static async Task<int> ClientChildAsync(string address, int workers, int n, CancellationToken cancellationToken)
    {
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        await using var client = await Client.ConnectAsync(address, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);
        foreach (var (name, chain) in new (string, Func<Task<ThroughputBenchmark.Run>>)[]
                 {
                     ("warmup_fchain", () => ThroughputBenchmark.FuturesChainAsync(client, n, cancellationToken)),
                     ("fchain", () => ThroughputBenchmark.FuturesChainAsync(client, n, cancellationToken)),
                     ("chain", () => ThroughputBenchmark.ChainAsync(client, n, cancellationToken)),
                 })
        {
            var run = await chain();
            figures[$"{name}_us_per_link"] = run.Seconds * 1e6 / n;
            await ThroughputBenchmark.DrainAsync(client, cancellationToken);
        }

        Console.WriteLine(JsonSerializer.Serialize(figures));
        return 0;
    }
}

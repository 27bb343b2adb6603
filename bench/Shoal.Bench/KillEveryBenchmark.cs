using System.Diagnostics;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// Issue 10's failure at scale: a map of N no-op tasks and its pairwise tree reduction (2N - 1 tasks) on worker
/// processes under nannies, first undisturbed, then with one worker process SIGKILLed every interval (the nannies
/// restart them), alternating between the workers. Reports both rates and their ratio, and checks both sums.
/// Usage: kill-every [--tasks 1000000] [--workers 2] [--threads 1] [--interval 2]
/// </summary>
public sealed class KillEveryBenchmark : IBenchmark
{
    /// <inheritdoc/>
    public string Name => "kill-every";

    /// <inheritdoc/>
    public string Description => "map + tree reduction with a worker SIGKILLed every 2 s (nannies restart it) vs undisturbed";

    private static long Inc(long x) => x + 1;

    private static long Add(long a, long b) => a + b;

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        int n = a.Int("tasks", 1_000_000);
        int workers = a.Int("workers", 2);
        int threads = a.Int("threads", 1);
        var interval = TimeSpan.FromSeconds(double.Parse(a.Value("interval") ?? "2", System.Globalization.CultureInfo.InvariantCulture));

        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true,
            Nanny = true,
            Workers = workers,
            ThreadsPerWorker = threads,
        }, cancellationToken);
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);
        await RoundAsync(client, 20_000, 1_000_000_000L, cancellationToken); // warm-up: code loaded, JIT tiered

        Console.Error.WriteLine($"kill-every: {2 * n - 1} tasks undisturbed");
        var quiet = await RoundAsync(client, n, 0, cancellationToken);
        Console.Error.WriteLine($"  {quiet:0.00} s, {(2 * n - 1) / quiet:0} tasks/s");

        Console.Error.WriteLine($"kill-every: {2 * n - 1} tasks, a worker killed every {interval.TotalSeconds:0.#} s");
        var kills = new List<(double At, string Worker, int Pid)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        var killer = KillAsync(cluster, interval, kills, clock, stop.Token);
        var killed = await RoundAsync(client, n, 2L * n, cancellationToken);
        await stop.CancelAsync();
        await killer;
        Console.Error.WriteLine($"  {killed:0.00} s, {(2 * n - 1) / killed:0} tasks/s, {kills.Count} kills; departures: "
            + string.Join("; ", cluster.Scheduler.Departures.Select(d => $"{d.Worker}: {d.Cause}")));

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "kill-every",
            ["tasks"] = 2 * n - 1,
            ["workers"] = workers,
            ["threads"] = threads,
            ["interval_s"] = interval.TotalSeconds,
            ["undisturbed_s"] = Math.Round(quiet, 3),
            ["undisturbed_tasks_per_s"] = Math.Round((2 * n - 1) / quiet),
            ["killed_s"] = Math.Round(killed, 3),
            ["killed_tasks_per_s"] = Math.Round((2 * n - 1) / killed),
            ["kills"] = kills.Count,
            ["rate_ratio"] = Math.Round(quiet / killed, 3),
        }));
        return 0;
    }

    /// <summary>One map of n and its pairwise reduction; seconds to the root's value, which is checked.</summary>
    private static async Task<double> RoundAsync(Client client, int n, long offset, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var layer = client.Map(Inc, LongRange(offset, n)).ToList();
        var all = new List<Future<long>>(layer);
        while (layer.Count > 1)
        {
            var next = new List<Future<long>>((layer.Count + 1) / 2);
            for (var i = 0; i + 1 < layer.Count; i += 2) next.Add(client.Submit(Add, layer[i], layer[i + 1]));
            if (layer.Count % 2 == 1) next.Add(layer[^1]);
            all.AddRange(next);
            layer = next;
        }

        var total = await layer[0].ResultAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        long expected = (long)n * offset + (long)n * (n + 1) / 2;
        if (total != expected) throw new InvalidOperationException($"sum {total}, expected {expected}");
        foreach (var f in all) f.Dispose();
        return seconds;
    }

    private static IEnumerable<long> LongRange(long start, int count)
    {
        for (var i = 0; i < count; i++) yield return start + i;
    }

    private static async Task KillAsync(LocalCluster cluster, TimeSpan interval, List<(double, string, int)> kills, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var registered = cluster.Scheduler.WorkerProcesses.OrderBy(w => w.Worker, StringComparer.Ordinal).ToArray();
                if (registered.Length == 0) continue;
                var victim = registered[kills.Count % registered.Length];
                try
                {
                    Process.GetProcessById(victim.Pid).Kill(); // SIGKILL
                    kills.Add((clock.Elapsed.TotalSeconds, victim.Worker, victim.Pid));
                }
                catch (ArgumentException)
                {
                    // Gone already (a replacement not registered yet).
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The round is done.
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// Scheduler throughput for no-op tasks, end to end over TCP with worker processes: the Shoal
/// side of ../shared/dask-baseline/throughput.py (same flags, same JSON shape).
/// Usage: throughput [--workers 2] [--threads 1] [--n 10000 100000] [--chain 5000] [--reps 3]
///                   [--only map tree chain fchain] [--tls] [--nanny] [--dashboard off|on|sse|watched]
/// <list type="bullet">
/// <item>map: <c>client.Map(inc, range)</c> + <c>GatherAsync</c>, distinct keys per repetition (N tasks);</item>
/// <item>tree: <c>Delayed.Call</c> tree reduction, N inc leaves summed pairwise, <c>ComputeAsync</c> (2N-1 tasks);</item>
/// <item>chain: a Delayed chain, each inc depending on the previous (CHAIN tasks);</item>
/// <item>fchain: the same chain built with <c>client.Submit</c> futures, impure keys (CHAIN tasks).</item>
/// </list>
/// Timed from the first API call (graph building included) to the result on the client; between
/// repetitions the benchmark waits until the scheduler has forgotten every task.
/// </summary>
public sealed class ThroughputBenchmark : IBenchmark
{
    private static readonly Func<long, long> Inc = static x => x + 1;
    private static readonly Func<long, long, long> Add = static (x, y) => x + y;
    private static readonly SubmitOptions Impure = new() { Pure = false };

    /// <inheritdoc />
    public string Name => "throughput";

    /// <inheritdoc />
    public string Description => "no-op tasks/s over TCP with worker processes: map+gather, tree reduction, Delayed chain, futures chain (like throughput.py)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 2);
        var threads = a.Int("threads", 1);
        var sizes = a.List("n", "10000", "100000").Select(BenchArgs.ParseCount).ToArray();
        var chain = a.Int("chain", 5000);
        var reps = a.Int("reps", 3);
        var only = a.List("only", "map", "tree", "chain", "fchain").ToHashSet(StringComparer.Ordinal);
        // --tls: the same cluster over tls:// with per-cluster certificates (mutual authentication), to compare with tcp://.
        var tls = a.Has("tls");
        // --nanny: each worker under a nanny (as `shoal worker` runs them), so with its result journal; the
        // workers' CPU figure then is the nannies' own (their worker children are not counted).
        var nanny = a.Has("nanny");
        // --dashboard: off (the default, as the figures before it), on (served, nobody watching), sse (an HTTP
        // client in this process reads /api/v1/stream for the whole run) or watched (Debian's chromium, headless,
        // keeps /status open for the whole run).
        var dashboard = a.List("dashboard", "off")[0];
        if (dashboard is not ("off" or "on" or "sse" or "watched")) throw new ArgumentException($"--dashboard {dashboard}: expected off, on, sse or watched");

        var start = Stopwatch.StartNew();
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true,
            Workers = workers,
            ThreadsPerWorker = threads,
            Security = tls ? SecurityOptions.Temporary() : null,
            Nanny = nanny,
            DashboardAddress = dashboard == "off" ? null : "127.0.0.1:0",
        }, cancellationToken);
        using var browser = dashboard == "watched" ? WatchingBrowser.Open(cluster.DashboardLink!) : null;
        using var stream = dashboard == "sse" ? WatchingStream.Open(cluster.DashboardLink!) : null;
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);
        Console.Error.WriteLine($"throughput: cluster of {workers} worker processes x {threads} threads at {cluster.SchedulerAddress} ready in {start.Elapsed.TotalSeconds:0.000} s");

        var cpu = new CpuMeter(cluster.WorkerProcessIds);

        // Warm-up (sizes past the JIT's tier-up thresholds): code shipped to and loaded by the workers, connections open, JIT done.
        // A workload that fails is reported under "errors" and the others still run.
        var errors = new Dictionary<string, string>();
        foreach (var (kind, warm) in new (string, Func<Task<Run>>)[]
                 {
                     ("map", () => MapAsync(client, 5_000, 1_000_000, cancellationToken)),
                     ("tree", () => TreeAsync(client, 2_000, cancellationToken)),
                     ("fchain", () => FuturesChainAsync(client, 500, cancellationToken)),
                     ("chain", () => ChainAsync(client, 500, cancellationToken)),
                 })
        {
            if (!only.Contains(kind)) continue;
            try
            {
                await warm();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"warm-up {kind} failed: {FirstLine(e)}");
                errors["warmup_" + kind] = FirstLine(e);
            }

            await DrainAsync(client, cancellationToken);
        }

        var plan = new List<(string Name, string Kind, Func<int, Task<Run>> Body)>();
        foreach (var n in sizes) plan.Add(($"map_{n}", "map", rep => MapAsync(client, n, rep, cancellationToken)));
        foreach (var n in sizes) plan.Add(($"tree_{n}", "tree", _ => TreeAsync(client, n, cancellationToken)));
        plan.Add(($"chain_{chain}", "chain", _ => ChainAsync(client, chain, cancellationToken)));
        plan.Add(($"fchain_{chain}", "fchain", _ => FuturesChainAsync(client, chain, cancellationToken)));

        var results = new Dictionary<string, object>();
        foreach (var (name, kind, body) in plan)
        {
            if (!only.Contains(kind)) continue;
            var runs = new List<Run>();
            for (var rep = 0; rep < reps; rep++)
            {
                try
                {
                    var before = cpu.Read();
                    var gcPause = GC.GetTotalPauseDuration();
                    var allocated = GC.GetTotalAllocatedBytes();
                    var gen0 = GC.CollectionCount(0);
                    var gen2 = GC.CollectionCount(2);
                    var run = await body(rep);
                    var (here, workersCpu) = cpu.Since(before);
                    run = run with
                    {
                        CpuHere = here,
                        CpuWorkers = workersCpu,
                        GcPause = (GC.GetTotalPauseDuration() - gcPause).TotalSeconds,
                        AllocatedBytes = GC.GetTotalAllocatedBytes() - allocated,
                        HeapAtLastGcBytes = GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes,
                    };
                    runs.Add(run);
                    Console.Error.WriteLine($"{name} rep {rep}: {run.Seconds:0.000}s ({run.Tasks / run.Seconds:0} tasks/s); CPU s: client+scheduler {here:0.000}, workers {workersCpu:0.000}; "
                                            + $"client+scheduler GC: {run.GcPause:0.000}s paused, {GC.CollectionCount(0) - gen0} gen0 / {GC.CollectionCount(2) - gen2} gen2, {run.AllocatedBytes / run.Tasks:N0} B allocated per task, heap {run.HeapAtLastGcBytes / 1e6:N0} MB at the last GC (large objects {GC.GetGCMemoryInfo(GCKind.Any).GenerationInfo[3].SizeAfterBytes / 1e6:N0} MB)");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Console.Error.WriteLine($"{name} rep {rep} failed: {FirstLine(e)}");
                    errors[$"{name}_rep{rep}"] = FirstLine(e);
                }

                await DrainAsync(client, cancellationToken);
            }

            if (runs.Count > 0) results[name] = Summarize(runs);
        }

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "throughput",
            ["shoal"] = BenchStats.ShoalVersion,
            ["workers"] = workers,
            ["threads"] = threads,
            ["reps"] = reps,
            ["nanny"] = nanny,
            ["dashboard"] = dashboard,
            ["stream_updates_read"] = stream?.Updates ?? 0,
            ["results"] = results,
            ["errors"] = errors,
        }));
        return 0;
    }

    /// <summary>
    /// One timed repetition: seconds end to end, tasks run, graph-building seconds (tree and
    /// chain), and CPU seconds spent meanwhile by this process (client and scheduler) and by the
    /// worker processes together.
    /// </summary>
    internal sealed record Run(double Seconds, int Tasks, double? BuildSeconds = null, double CpuHere = 0, double CpuWorkers = 0, double GcPause = 0, long AllocatedBytes = 0, long HeapAtLastGcBytes = 0);

    /// <summary>CPU time of this process and of the worker processes (user + system).</summary>
    private sealed class CpuMeter(IReadOnlyList<int> workerPids)
    {
        private readonly Process[] _workers = workerPids.Select(Process.GetProcessById).ToArray();

        public (TimeSpan Here, TimeSpan Workers) Read()
        {
            var workers = TimeSpan.Zero;
            foreach (var w in _workers)
            {
                w.Refresh();
                workers += w.TotalProcessorTime;
            }

            return (Process.GetCurrentProcess().TotalProcessorTime, workers);
        }

        public (double Here, double Workers) Since((TimeSpan Here, TimeSpan Workers) before)
        {
            var now = Read();
            return ((now.Here - before.Here).TotalSeconds, (now.Workers - before.Workers).TotalSeconds);
        }
    }

    private static async Task<Run> MapAsync(Client client, int n, int rep, CancellationToken cancellationToken)
    {
        var offset = (long)rep * n; // distinct keys every repetition (Map keys hash the arguments)
        var clock = Stopwatch.StartNew();
        var futures = client.Map(Inc, LongRange(offset, n));
        var results = await client.GatherAsync(futures, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var future in futures) future.Dispose();
        Check(results[0] == offset + 1 && results[^1] == offset + n, $"map results {results[0]}..{results[^1]}");
        return new Run(seconds, n);
    }

    private static async Task<Run> TreeAsync(Client client, int n, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var layer = new List<Delayed<long>>(n);
        for (var i = 0; i < n; i++) layer.Add(Delayed.Call(Inc, (long)i));
        while (layer.Count > 1)
        {
            var next = new List<Delayed<long>>((layer.Count + 1) / 2);
            for (var i = 0; i + 1 < layer.Count; i += 2) next.Add(Delayed.Call(Add, layer[i], layer[i + 1]));
            if (layer.Count % 2 == 1) next.Add(layer[^1]);
            layer = next;
        }

        var built = clock.Elapsed.TotalSeconds;
        var total = await client.ComputeAsync(layer[0], cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        Check(total == (long)n * (n + 1) / 2, $"tree total {total}");
        return new Run(seconds, 2 * n - 1, built);
    }

    internal static async Task<Run> ChainAsync(Client client, int n, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var x = Delayed.Call(Inc, 0L);
        for (var i = 1; i < n; i++) x = Delayed.Call(Inc, x);
        var built = clock.Elapsed.TotalSeconds;
        var result = await client.ComputeAsync(x, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        Check(result == n, $"chain result {result}");
        return new Run(seconds, n, built);
    }

    internal static async Task<Run> FuturesChainAsync(Client client, int n, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var futures = new List<Future<long>>(n) { client.Submit(Inc, 0L, Impure) };
        for (var i = 1; i < n; i++) futures.Add(client.Submit(Inc, futures[^1], Impure));
        var result = await futures[^1].ResultAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var future in futures) future.Dispose();
        Check(result == n, $"futures chain result {result}");
        return new Run(seconds, n);
    }

    private static IEnumerable<long> LongRange(long start, int count)
    {
        for (var i = 0; i < count; i++) yield return start + i;
    }

    /// <summary>Waits until the scheduler has forgotten every task of the previous run.</summary>
    internal static async Task DrainAsync(Client client, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while ((await client.GetClusterInfoAsync(cancellationToken)).Tasks > 0)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("the scheduler still holds tasks 60 s after the run");
            await Task.Delay(10, cancellationToken);
        }
    }

    private static string FirstLine(Exception e) => $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";

    private static void Check(bool ok, string what)
    {
        if (!ok) throw new InvalidOperationException($"wrong result: {what}");
    }

    private static Dictionary<string, object> Summarize(List<Run> runs)
    {
        var s = runs.Select(r => r.Seconds).ToArray();
        var tasks = runs[0].Tasks;
        var med = BenchStats.Median(s);
        var output = new Dictionary<string, object>
        {
            ["tasks"] = tasks,
            ["s_median"] = Math.Round(med, 4),
            ["s_min"] = Math.Round(s.Min(), 4),
            ["s_max"] = Math.Round(s.Max(), 4),
            ["tasks_per_s_median"] = Math.Round(tasks / med, 1),
            ["tasks_per_s_min"] = Math.Round(tasks / s.Max(), 1),
            ["tasks_per_s_max"] = Math.Round(tasks / s.Min(), 1),
            ["us_per_task_median"] = Math.Round(med / tasks * 1e6, 1),
        };
        // Every repetition, for harnesses that pool repetitions over several processes (dashboard-overhead).
        output["s_all"] = s.Select(x => Math.Round(x, 4)).ToArray();
        output["cpu_s_client_scheduler_all"] = runs.Select(r => Math.Round(r.CpuHere, 4)).ToArray();
        output["cpu_s_workers_all"] = runs.Select(r => Math.Round(r.CpuWorkers, 4)).ToArray();
        output["cpu_s_client_scheduler_median"] = Math.Round(BenchStats.Median(runs.Select(r => r.CpuHere).ToArray()), 4);
        output["cpu_s_workers_median"] = Math.Round(BenchStats.Median(runs.Select(r => r.CpuWorkers).ToArray()), 4);
        output["gc_pause_s_client_scheduler_median"] = Math.Round(BenchStats.Median(runs.Select(r => r.GcPause).ToArray()), 4);
        output["heap_mb_at_last_gc_client_scheduler_max"] = Math.Round(runs.Max(r => r.HeapAtLastGcBytes) / 1e6);
        output["allocated_bytes_per_task_client_scheduler_median"] = Math.Round(BenchStats.Median(runs.Select(r => (double)r.AllocatedBytes / r.Tasks).ToArray()));
        if (runs[0].BuildSeconds is not null)
        {
            output["build_s_median"] = Math.Round(BenchStats.Median(runs.Select(r => r.BuildSeconds!.Value).ToArray()), 4);
        }

        return output;
    }
}

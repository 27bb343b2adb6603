using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// Memory of the scheduler's process over a 1,000,000-task run, with the dashboard off, on (nobody
/// watching) or read (an HTTP client on /api/v1/stream for the whole run): does the dashboard's
/// aggregation keep anything per task? Topology: LocalCluster with worker processes (their memory is
/// elsewhere); this process holds the client, the scheduler and the dashboard. Two phases, the
/// managed heap measured after a full, compacting collection (<c>GC.GetTotalMemory(true)</c>) at each
/// step, as the difference from the heap before the first phase:
/// <list type="bullet">
/// <item>held: N tasks submitted in batches (<c>client.Map</c>, waited for, futures kept): bytes
/// per task held (client futures + scheduler records), after each batch; then every future released
/// and the scheduler drained: what is left;</item>
/// <item>flow: N more tasks in batches, each gathered and released as a throughput run does: the
/// heap after each batch (it must not grow with the tasks that went through).</item>
/// </list>
/// Usage: scheduler-memory [--tasks 1000000] [--batch 100000] [--dashboard off|on|sse] [--workers 2] [--hold-seconds S]
/// (<c>--hold-seconds</c>: wait that long with every task held, and again after the flow phase, printing
/// the process id, to take a heap dump with <c>dotnet-gcdump collect -p PID</c>).
/// </summary>
public sealed class SchedulerMemoryBenchmark : IBenchmark
{
    private static readonly Func<long, long> Inc = static x => x + 1;

    /// <inheritdoc />
    public string Name => "scheduler-memory";

    /// <inheritdoc />
    public string Description => "managed heap of client+scheduler(+dashboard) over 10^6 tasks held and 10^6 tasks flowing through, dashboard off/on/sse";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var tasks = a.Int("tasks", 1_000_000);
        var batch = Math.Min(tasks, a.Int("batch", 100_000));
        var workers = a.Int("workers", 2);
        var dashboard = a.List("dashboard", "off")[0];
        if (dashboard is not ("off" or "on" or "sse")) throw new ArgumentException($"--dashboard {dashboard}: expected off, on or sse");

        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true,
            Workers = workers,
            ThreadsPerWorker = 1,
            DashboardAddress = dashboard == "off" ? null : "127.0.0.1:0",
        }, cancellationToken);
        using var stream = dashboard == "sse" ? WatchingStream.Open(cluster.DashboardLink!) : null;
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);

        // Warm-up: code uploaded and loaded, connections open, JIT done, the feed's group books made.
        for (var i = 0; i < 3; i++) await FlowBatchAsync(client, 20_000, 10_000_000L * (i + 1), cancellationToken);
        await ThroughputBenchmark.DrainAsync(client, cancellationToken);
        var baseline = Heap();
        var clock = Stopwatch.StartNew();
        Console.Error.WriteLine($"scheduler-memory: dashboard {dashboard}, baseline heap {baseline / 1e6:0.0} MB");

        // Held: batches submitted and waited for; every future kept.
        var held = new List<Future<long>[]>();
        var heldSteps = new List<Dictionary<string, object>>();
        for (long offset = 0; offset < tasks; offset += batch)
        {
            var futures = client.Map(Inc, LongRange(100_000_000L + offset, batch));
            await client.WaitAsync(futures, cancellationToken: cancellationToken);
            held.Add(futures);
            var count = held.Sum(f => f.Length);
            var heap = Heap() - baseline;
            heldSteps.Add(new() { ["tasks_held"] = count, ["heap_mb"] = Math.Round(heap / 1e6, 1), ["bytes_per_task"] = Math.Round((double)heap / count) });
            Console.Error.WriteLine($"  held {count:N0}: +{heap / 1e6:0.0} MB, {heap / (double)count:0} B per task held, load {Load()}");
        }

        await HoldAsync(a, "every task held", cancellationToken);

        var heldTotal = held.Sum(f => f.Length);
        var heldHeap = Heap() - baseline;
        foreach (var futures in held)
            foreach (var future in futures)
                future.Dispose();
        held.Clear();
        await ThroughputBenchmark.DrainAsync(client, cancellationToken);
        var afterRelease = Heap() - baseline;
        Console.Error.WriteLine($"  released: +{afterRelease / 1e6:0.0} MB left");

        // Flow: batches gathered and released; the heap must not follow the tasks that went through.
        var flowSteps = new List<Dictionary<string, object>>();
        long through = 0;
        for (long offset = 0; offset < tasks; offset += batch)
        {
            await FlowBatchAsync(client, batch, 200_000_000L + offset, cancellationToken);
            await ThroughputBenchmark.DrainAsync(client, cancellationToken);
            through += batch;
            var heap = Heap() - baseline;
            flowSteps.Add(new() { ["tasks_through"] = through, ["heap_mb"] = Math.Round(heap / 1e6, 2) });
            Console.Error.WriteLine($"  through {through:N0}: {heap / 1e6:+0.00;-0.00} MB, load {Load()}");
        }

        await HoldAsync(a, "after the flow", cancellationToken);
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "scheduler-memory",
            ["shoal"] = BenchStats.ShoalVersion,
            ["dashboard"] = dashboard,
            ["workers"] = workers,
            ["tasks"] = tasks,
            ["batch"] = batch,
            ["baseline_heap_mb"] = Math.Round(baseline / 1e6, 1),
            ["bytes_per_task_held"] = Math.Round((double)heldHeap / heldTotal),
            ["heap_mb_left_after_release"] = Math.Round(afterRelease / 1e6, 2),
            ["heap_mb_after_flow"] = flowSteps.Count > 0 ? flowSteps[^1]["heap_mb"] : 0,
            ["stream_updates_read"] = stream?.Updates ?? 0,
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
            ["load_1min_end"] = Load(),
            ["held"] = heldSteps,
            ["flow"] = flowSteps,
        }));
        return 0;
    }

    /// <summary>With <c>--hold-seconds S</c>: waits S seconds, saying how to take a heap dump meanwhile.</summary>
    private static async Task HoldAsync(BenchArgs a, string when, CancellationToken cancellationToken)
    {
        if (a.Value("hold-seconds") is not { } hold) return;
        Heap();
        Console.Error.WriteLine($"  holding {when} for {hold} s: dotnet-gcdump collect -p {Environment.ProcessId}");
        await Task.Delay(TimeSpan.FromSeconds(double.Parse(hold, CultureInfo.InvariantCulture)), cancellationToken);
    }

    private static async Task FlowBatchAsync(Client client, int n, long offset, CancellationToken cancellationToken)
    {
        var futures = client.Map(Inc, LongRange(offset, n));
        var results = await client.GatherAsync(futures, cancellationToken);
        foreach (var future in futures) future.Dispose();
        if (results[^1] != offset + n) throw new InvalidOperationException($"wrong result {results[^1]} for {offset + n - 1}");
    }

    private static long Heap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static IEnumerable<long> LongRange(long start, int count)
    {
        for (var i = 0; i < count; i++) yield return start + i;
    }
}

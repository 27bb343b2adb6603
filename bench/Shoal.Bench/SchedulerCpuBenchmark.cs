using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shoal.Protocol;
using Shoal.Scheduling;
using Shoal.Transfer;

namespace Shoal.Bench;

/// <summary>
/// Scheduler CPU and memory per task, with no network and no workers: drives
/// <see cref="SchedulerState"/> directly with 2 workers × 1 thread and completes every Compute
/// at once (TaskFinished as soon as the command appears). Two graphs of ~10^6 tasks: a map of
/// independent tasks all wanted by the client (then released, as after a gather), and a binary
/// tree reduction (n/2 leaves, n-1 tasks) where only the root is wanted. Figures: process CPU µs per task (graph
/// submission, scheduling, completions and release), and scheduler bytes per live task
/// (GC.GetTotalMemory around building the graph; the specifications themselves excluded).
/// Usage: scheduler-cpu [--tasks 1000000] (or a bare number).
/// <para>With <c>--workers 2 64 1024 10000</c>: how the cost per task grows with the cluster, the map graph
/// (default 200,000 tasks) run once per worker count (1 thread each), µs per task for each.</para>
/// </summary>
public sealed class SchedulerCpuBenchmark : IBenchmark
{
    /// <inheritdoc/>
    public string Name => "scheduler-cpu";

    /// <inheritdoc/>
    public string Description => "SchedulerState alone: CPU µs and bytes per task for 10^6-task map and tree reduction";

    /// <inheritdoc/>
    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        // bench/run passes "--tasks N"; a bare number is accepted too.
        var flags = new BenchArgs(args);
        int n = flags.Value("tasks") is { } tasks ? BenchArgs.ParseCount(tasks)
            : args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? BenchArgs.ParseCount(args[0]) : 1_000_000;
        if (flags.List("workers") is { Count: > 0 } counts) return Task.FromResult(Scaling(flags, counts));
        Console.Error.WriteLine($"scheduler-cpu: warm-up");
        Run("warm-map", MapGraph(20_000));
        Run("warm-tree", TreeGraph(20_000));

        Console.Error.WriteLine($"scheduler-cpu: map of {n} tasks");
        var map = Run("map", MapGraph(n));
        Console.Error.WriteLine($"scheduler-cpu: tree reduction of {n / 2} leaves");
        var tree = Run("tree", TreeGraph(n / 2));

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "scheduler-cpu",
            ["workers"] = 2,
            ["threads"] = 1,
            ["map"] = map,
            ["tree"] = tree,
        }));
        return Task.FromResult(0);
    }

    /// <summary>The map (and tree) graph with 2 to 10,000 workers: µs per task for each worker count.</summary>
    private static int Scaling(BenchArgs flags, IReadOnlyList<string> counts)
    {
        int n = flags.Value("tasks") is { } tasks ? BenchArgs.ParseCount(tasks) : 200_000;
        Console.Error.WriteLine("scheduler-cpu: warm-up");
        Run("warm-map", MapGraph(20_000), workers: 2);
        Run("warm-map", MapGraph(20_000), workers: 1024);
        Run("warm-tree", TreeGraph(10_000), workers: 1024);
        var rows = new List<Dictionary<string, object>>();
        foreach (var text in counts)
        {
            int workers = BenchArgs.ParseCount(text);
            Console.Error.WriteLine($"scheduler-cpu: {workers} workers");
            var map = Run($"map/{workers}", MapGraph(n), workers);
            var tree = Run($"tree/{workers}", TreeGraph(n / 2), workers);
            rows.Add(new Dictionary<string, object> { ["workers"] = workers, ["map"] = map, ["tree"] = tree });
        }
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "scheduler-cpu-scaling",
            ["tasks"] = n,
            ["threads"] = 1,
            ["rows"] = rows,
        }));
        return 0;
    }

    // What the scheduler keeps of each task and never opens: one shared payload per kind, as a literal was.
    private static readonly TaskPayload IncSpec = new([Segment.FromObject("inc")], TaskPayload.NoCode);
    private static readonly TaskPayload LeafSpec = new([Segment.FromObject("leaf")], TaskPayload.NoCode);
    private static readonly TaskPayload SumSpec = new([Segment.FromObject("sum")], TaskPayload.NoCode);

    private static TaskSpecification[] MapGraph(int n)
    {
        var tasks = new TaskSpecification[n];
        for (int i = 0; i < n; i++)
            tasks[i] = new TaskSpecification { Key = "inc-" + i.ToString("x8", CultureInfo.InvariantCulture), RunSpec = IncSpec, Wanted = true };
        return tasks;
    }

    /// <summary>Leaves, then pairwise sums level by level; only the root is wanted.</summary>
    private static TaskSpecification[] TreeGraph(int leaves)
    {
        var tasks = new List<TaskSpecification>(2 * leaves);
        var level = new List<string>(leaves);
        for (int i = 0; i < leaves; i++)
        {
            var key = "leaf-" + i.ToString("x8", CultureInfo.InvariantCulture);
            tasks.Add(new TaskSpecification { Key = key, RunSpec = LeafSpec });
            level.Add(key);
        }
        int depth = 0;
        while (level.Count > 1)
        {
            depth++;
            var next = new List<string>((level.Count + 1) / 2);
            for (int i = 0; i < level.Count; i += 2)
            {
                var key = $"sum{depth}-{i / 2:x8}";
                string[] deps = i + 1 < level.Count ? [level[i], level[i + 1]] : [level[i]];
                tasks.Add(new TaskSpecification { Key = key, Dependencies = deps, RunSpec = SumSpec });
                next.Add(key);
            }
            level = next;
        }
        tasks[^1].Wanted = true;
        return tasks.ToArray();
    }

    private static Dictionary<string, object> Run(string label, TaskSpecification[] graph, int workers = 2)
    {
        var process = Process.GetCurrentProcess();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long memBefore = GC.GetTotalMemory(true);
        int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();

        var state = new SchedulerState(new SchedulerConfig());
        state.AddClient(1);
        var empty = new Dictionary<string, double>();
        for (int w = 0; w < workers; w++)
            state.AddWorker(w, new WorkerSpec($"w{w}", $"inproc://w{w}", 1, 1L << 32, empty, []), 0);
        state.UpdateGraph(1, graph, 0);
        double graphSeconds = wall.Elapsed.TotalSeconds;

        // Memory per live task, measured outside the CPU figure.
        process.Refresh();
        var cpuPause = process.TotalProcessorTime;
        int live = state.TaskCount;
        long memAfter = GC.GetTotalMemory(true);
        process.Refresh();
        var paused = process.TotalProcessorTime - cpuPause;

        // Instant completions: every Compute is answered by TaskFinished before the next batch.
        var finished = new List<(int Worker, string Key, long RunId)>(4096);
        double now = 0;
        long computed = 0, inMemory = 0;
        while (true)
        {
            var commands = state.Commands;
            if (commands.Length == 0) break;
            finished.Clear();
            foreach (var c in commands)
            {
                if (c.Kind == SchedulerCommandKind.Compute) finished.Add((c.Target, state.KeyOf(c.Task), state.RunIdOf(c.Task)));
                else if (c.Kind == SchedulerCommandKind.KeyInMemory) inMemory++;
            }
            state.ClearCommands();
            foreach (var (worker, key, runId) in finished)
            {
                state.TaskFinished(worker, key, runId, 8, now, now + 10e-6, now + 10e-6);
                now += 10e-6;
            }
            computed += finished.Count;
        }

        // The client gathers and releases its futures.
        var wanted = graph.Where(t => t.Wanted).Select(t => t.Key).ToArray();
        state.ReleaseKeys(1, wanted, now);
        state.ClearCommands();
        wall.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0 - paused;

        if (computed != graph.Length) throw new InvalidOperationException($"{label}: computed {computed} of {graph.Length}");
        if (inMemory != wanted.Length) throw new InvalidOperationException($"{label}: {inMemory} results reported, {wanted.Length} wanted");
        if (state.TaskCount != 0) throw new InvalidOperationException($"{label}: {state.TaskCount} tasks left behind");

        double usPerTask = cpu.TotalMilliseconds * 1000 / graph.Length;
        double bytesPerTask = (double)(memAfter - memBefore) / live;
        Console.Error.WriteLine($"  {label}: {graph.Length} tasks, {usPerTask:F2} µs CPU/task, {bytesPerTask:F0} B/live task, " +
                                $"graph {graphSeconds:F2} s, total {wall.Elapsed.TotalSeconds:F2} s wall, GCs gen0 {GC.CollectionCount(0) - gen0} gen2 {GC.CollectionCount(2) - gen2}");
        GC.KeepAlive(state);
        return new Dictionary<string, object>
        {
            ["tasks"] = graph.Length,
            ["cpu_us_per_task"] = Math.Round(usPerTask, 3),
            ["bytes_per_live_task"] = Math.Round(bytesPerTask, 1),
            ["wall_s"] = Math.Round(wall.Elapsed.TotalSeconds, 3),
            ["tasks_per_s"] = Math.Round(graph.Length / wall.Elapsed.TotalSeconds),
        };
    }
}

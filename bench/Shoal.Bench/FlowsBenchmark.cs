using System.Diagnostics;
using System.Text.Json;
using Shoal.Flows;

namespace Shoal.Bench;

/// <summary>
/// Shoal.Flows' cost. Usage: flows [--n 20000] [--reps 3] [--million 1000000] [--window 4096] [--threads 2] [--only overhead million]
/// <list type="bullet">
/// <item>overhead: N independent no-op tasks and their results, once with the bare client
/// (<c>Submit</c> per item, impure keys, <c>GatherAsync</c>) and once as a flow
/// (<c>Inc.Map(items)</c>, awaited), states and records written to a fresh SQLite store and
/// flushed before the clock stops; the figure is (flow − bare) ÷ N per task run;</item>
/// <item>million: <c>Inc.MapStream</c> over 1,000,000 items (a window of W task runs in the
/// cluster), summed in the flow, every task run recorded in SQLite; reports the time and the
/// process's peak RSS (scheduler, workers, client and the store writer share the process).</item>
/// </list>
/// Both on one in-process cluster of one worker.
/// </summary>
public sealed class FlowsBenchmark : IBenchmark
{
    private static readonly FlowTask<long, long> Inc = FlowTask.Create("Inc", static (long x) => x + 1);
    private static readonly Func<long, long> BareInc = static x => x + 1;

    /// <inheritdoc />
    public string Name => "flows";

    /// <inheritdoc />
    public string Description => "Shoal.Flows: overhead per task run (states + SQLite records) beside the bare client; a 1,000,000-item streamed map with peak memory";

    /// <summary>The flows' parameters: how many items.</summary>
    public sealed record Size
    {
        /// <summary>Items.</summary>
        public int N { get; init; }

        /// <summary>The streamed map's window.</summary>
        public int Window { get; init; } = 4096;
    }

    private static readonly Flow<Size, long> MapFlow = Flow.Create("bench-map", static async (Size s) =>
    {
        var results = await Inc.Map([.. Enumerable.Range(0, s.N).Select(i => (long)i)]);
        return results.Sum();
    });

    private static readonly Flow<Size, long> StreamFlow = Flow.Create("bench-stream", static async (Size s) =>
    {
        long total = 0;
        await foreach (var y in Inc.MapStream(Enumerable.Range(0, s.N).Select(i => (long)i), s.Window)) total += y;
        return total;
    });

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var n = a.Int("n", 20_000);
        var reps = a.Int("reps", 3);
        var million = a.Int("million", 1_000_000);
        var window = a.Int("window", 4096);
        var threads = a.Int("threads", 2);
        var only = a.List("only", "overhead", "million").ToHashSet(StringComparer.Ordinal);
        // --no-records: a store that drops every record, to tell the records' share from the runner's.
        noRecords = a.Has("no-records");
        var directory = Directory.CreateTempSubdirectory("shoal-bench-flows-").FullName;
        var result = new Dictionary<string, object>
        {
            ["benchmark"] = "flows", ["n"] = n, ["reps"] = reps, ["threads"] = threads, ["load"] = File.ReadAllText("/proc/loadavg").Trim(),
        };
        try
        {
            await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = threads }, cancellationToken);
            await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
            if (only.Contains("overhead"))
            {
                // Warm-up of both paths (JIT, connections, the store's first file).
                await BareAsync(client, 2_000, cancellationToken);
                await FlowAsync(cluster, Path.Join(directory, "warm.db"), MapFlow, new Size { N = 2_000 }, cancellationToken);
                var bare = new List<double>();
                var flow = new List<double>();
                for (var rep = 0; rep < reps; rep++)
                {
                    bare.Add(await BareAsync(client, n, cancellationToken));
                    var (seconds, total) = await FlowAsync(cluster, Path.Join(directory, $"overhead-{rep}.db"), MapFlow, new Size { N = n }, cancellationToken);
                    if (total != (long)n * (n + 1) / 2) throw new InvalidOperationException($"the flow's sum is {total}");
                    flow.Add(seconds);
                    Console.Error.WriteLine($"flows overhead rep {rep}: bare {bare[^1]:0.000} s, flow {seconds:0.000} s for {n} tasks");
                }

                var bareBest = bare.Min();
                var flowBest = flow.Min();
                result["bare_seconds"] = bare;
                result["flow_seconds"] = flow;
                result["bare_us_per_task"] = Math.Round(bareBest / n * 1e6, 1);
                result["flow_us_per_task"] = Math.Round(flowBest / n * 1e6, 1);
                result["overhead_us_per_task_run"] = Math.Round((flowBest - bareBest) / n * 1e6, 1);
            }

            if (only.Contains("store"))
            {
                // The store alone: the events of N task runs (created, running, completed) in batches as the recorder makes them.
                await using var store = await FlowStores.OpenAsync(Path.Join(directory, "store.db"), cancellationToken);
                var flowId = Guid.NewGuid();
                var now = DateTimeOffset.UtcNow;
                var events = new List<RunEvent> { new RunEvent.FlowRunCreated(new FlowRunRecord(flowId, "bench", "bench", null, "{}", RunState.Running, null, null, now, now)) };
                for (var i = 0; i < n; i++)
                {
                    var id = Guid.NewGuid();
                    events.Add(new RunEvent.TaskRunCreated(new TaskRunRecord(id, flowId, $"Inc-{i}", "Inc", [], RunState.Pending, null, null, 0, now, now)));
                    events.Add(new RunEvent.TaskRunState(id, RunState.Running, null, null, 1, now));
                    events.Add(new RunEvent.TaskRunState(id, RunState.Completed, null, null, 1, now));
                }

                var clock = Stopwatch.StartNew();
                foreach (var batch in events.Chunk(4096)) await store.WriteAsync(batch, cancellationToken);
                result["store_us_per_task_run"] = Math.Round(clock.Elapsed.TotalSeconds / n * 1e6, 1);
                Console.Error.WriteLine($"flows store: {n} task runs' events in {clock.Elapsed.TotalSeconds:0.000} s");
            }

            if (only.Contains("million"))
            {
                var (seconds, total) = await FlowAsync(cluster, Path.Join(directory, "million.db"), StreamFlow, new Size { N = million, Window = window }, cancellationToken);
                if (total != (long)million * (million + 1) / 2) throw new InvalidOperationException($"the streamed map's sum is {total}");
                using var self = Process.GetCurrentProcess();
                self.Refresh();
                result["million_items"] = million;
                result["million_window"] = window;
                result["million_seconds"] = Math.Round(seconds, 2);
                result["million_peak_rss_mb"] = Math.Round(self.PeakWorkingSet64 / 1048576.0, 0);
                result["million_db_mb"] = Math.Round(new FileInfo(Path.Join(directory, "million.db")).Length / 1048576.0, 0);
                Console.Error.WriteLine($"flows million: {million} items in {seconds:0.0} s, peak RSS {result["million_peak_rss_mb"]} MB");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static async Task<double> BareAsync(Client client, int n, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var options = new SubmitOptions { Pure = false };
        var futures = new Future<long>[n];
        for (var i = 0; i < n; i++) futures[i] = client.Submit(BareInc, (long)i, options);
        var results = await client.GatherAsync(futures, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var f in futures) f.Dispose();
        if (results.Sum() != (long)n * (n + 1) / 2) throw new InvalidOperationException("bare sum");
        return seconds;
    }

    private bool noRecords;

    private async Task<(double Seconds, long Result)> FlowAsync(LocalCluster cluster, string db, Flow<Size, long> flow, Size size, CancellationToken cancellationToken)
    {
        await using var store = noRecords ? new DroppingStore() : await FlowStores.OpenAsync(db, cancellationToken);
        var clock = Stopwatch.StartNew();
        FlowRunResult<long> run;
        await using (var runner = new FlowRunner(store, FlowExecutors.Cluster(cluster), new FlowRunnerOptions { MaxTasksInCluster = 100_000 }))
        {
            run = await runner.RunAsync(flow, size, cancellationToken);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        if (run.State != RunState.Completed) throw new InvalidOperationException($"{run.Name}: {run.State} {run.Error}");
        return (seconds, run.Result);
    }

    /// <summary>Records nothing (for --no-records).</summary>
    private sealed class DroppingStore : IFlowRunStore
    {
        public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task WriteAsync(IReadOnlyList<RunEvent> events, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<IReadOnlyList<FlowRunRecord>> ListFlowRunsAsync(int limit = 50, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<FlowRunRecord>>([]);

        public Task<FlowRunRecord?> FindFlowRunAsync(string idOrName, CancellationToken cancellationToken = default) => Task.FromResult<FlowRunRecord?>(null);

        public Task<IReadOnlyList<TaskRunRecord>> TaskRunsAsync(Guid flowRunId, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<TaskRunRecord>>([]);

        public Task<IReadOnlyList<StateChangeRecord>> StateChangesAsync(Guid runId, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<StateChangeRecord>>([]);

        public Task<IReadOnlyList<RunLogLine>> LogsAsync(Guid flowRunId, long afterSequence = 0, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<RunLogLine>>([]);

        public Task RequestCancellationAsync(Guid flowRunId, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<bool> IsCancellationRequestedAsync(Guid flowRunId, CancellationToken cancellationToken = default) => Task.FromResult(false);

        public Task<bool> TryClaimScheduledRunAsync(string deployment, DateTimeOffset instant, CancellationToken cancellationToken = default) => Task.FromResult(true);

        public Task<DateTimeOffset?> LastClaimedAsync(string deployment, CancellationToken cancellationToken = default) => Task.FromResult<DateTimeOffset?>(null);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

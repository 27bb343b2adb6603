using System.Diagnostics;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// Losing a worker process halfway through a batch of tasks: the Shoal side of
/// ../shared/dask-baseline/resilience.py. Worker processes run under their nannies, as
/// <c>shoal worker</c> runs them by default (<see cref="LocalClusterOptions.Nanny"/>).
/// Usage: resilience [--workers 2] [--threads 1] [--tasks 200] [--sleep 0.05] [--reps 3]
/// Per repetition, interleaved: an undisturbed run (<c>no_kill</c>: map + gather); Dask's
/// structure (<c>kill</c>: map, SIGKILL one worker when half the futures are done, then gather:
/// the results only the dead worker held leave the cluster's memory with it: <c>lost_with_the_worker</c>
/// counts them (the scheduler's count at the removal); its nanny's replacement takes the small ones
/// back from the worker's result journal and registers holding them: <c>recovered_from_journal</c>
/// counts those (the scheduler's count of lost results that came back with a registering worker); the
/// rest are recomputed, so executions beyond T can be checked against the difference); and the gather already under way
/// when the worker dies (<c>kill_streaming</c>: results reach the client as they finish, and those
/// it holds are put back on a worker instead of recomputed). Executions are counted for real:
/// every task writes a file of its own when it finishes its sleep. <c>back_s</c>: from the kill
/// until the client sees the nanny's replacement registered (polled over the client's scheduler
/// connection every 5 ms, as resilience.py polls every 20 ms).
/// </summary>
public sealed class ResilienceBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "resilience";

    /// <inheritdoc />
    public string Description => "SIGKILL one of the worker processes (under nannies) halfway through 200 tasks of 50 ms: slowdown, executions, time until the replacement registered (like resilience.py)";

    private enum Kind { NoKill, Kill, KillStreaming }

    private sealed record Run(double Seconds, bool Ok, int Executions, long Reported, int? Lost, long? Recovered, double? KillAt, double? BackAfterKill);

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 2);
        var threads = a.Int("threads", 1);
        var tasks = a.Int("tasks", 200);
        var sleep = double.Parse(a.Value("sleep") ?? "0.05", System.Globalization.CultureInfo.InvariantCulture);
        var reps = a.Int("reps", 3);

        var logDir = Directory.CreateTempSubdirectory("shoal-resilience-");
        try
        {
            await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
            {
                Processes = true,
                Nanny = true,
                Workers = workers,
                ThreadsPerWorker = threads,
            }, cancellationToken);
            await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
            await client.WaitForWorkersAsync(workers, cancellationToken);
            // Warm-up, as resilience.py: code uploaded and loaded on every worker.
            var warmLog = Directory.CreateDirectory(Path.Combine(logDir.FullName, "warmup")).FullName;
            await GatherAsync(client, Submit(client, "warmup", 10, 0, warmLog), cancellationToken);
            await ThroughputBenchmark.DrainAsync(client, cancellationToken);

            var runs = new Dictionary<Kind, List<Run>> { [Kind.NoKill] = [], [Kind.Kill] = [], [Kind.KillStreaming] = [] };
            for (var rep = 0; rep < reps; rep++)
            {
                foreach (var kind in new[] { Kind.NoKill, Kind.Kill, Kind.KillStreaming })
                {
                    var tag = $"{kind}{rep}";
                    var run = await RunOnceAsync(client, cluster, workers, tasks, sleep, tag, Path.Combine(logDir.FullName, tag), kind, cancellationToken);
                    runs[kind].Add(run);
                    Console.Error.WriteLine($"{tag}: {run.Seconds:0.000}s ok={run.Ok} executions={run.Executions} (reported {run.Reported}) lost={run.Lost} recovered_from_journal={run.Recovered} kill_at={run.KillAt:0.000} back_after_kill={run.BackAfterKill:0.000}");
                    await ThroughputBenchmark.DrainAsync(client, cancellationToken);
                }
            }

            var results = new Dictionary<string, object>();
            foreach (var (kind, list) in runs)
            {
                var s = list.Select(r => r.Seconds).ToList();
                results[kind switch { Kind.NoKill => "no_kill", Kind.Kill => "kill", _ => "kill_streaming" }] = new Dictionary<string, object?>
                {
                    ["s_median"] = Math.Round(BenchStats.Median(s), 3),
                    ["s_min"] = Math.Round(s.Min(), 3),
                    ["s_max"] = Math.Round(s.Max(), 3),
                    ["all_correct"] = list.All(r => r.Ok),
                    ["executions"] = list.Select(r => r.Executions).ToArray(),
                    ["executions_reported"] = list.Select(r => r.Reported).ToArray(),
                    ["lost_with_the_worker"] = list.Select(r => r.Lost).ToArray(),
                    ["recovered_from_journal"] = list.Select(r => r.Recovered).ToArray(),
                    ["kill_at_s"] = list.Select(r => r.KillAt is { } k ? Math.Round(k, 3) : (double?)null).ToArray(),
                    ["worker_back_after_kill_s"] = list.Select(r => r.BackAfterKill is { } b ? Math.Round(b, 3) : (double?)null).ToArray(),
                };
            }

            double Median(Kind k) => BenchStats.Median(runs[k].Select(r => r.Seconds).ToList());
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["bench"] = "resilience",
                ["shoal"] = BenchStats.ShoalVersion,
                ["workers"] = workers,
                ["threads"] = threads,
                ["tasks"] = tasks,
                ["sleep_s"] = sleep,
                ["reps"] = reps,
                ["nanny"] = true,
                ["ideal_s"] = tasks * sleep / (workers * threads),
                ["results"] = results,
                ["slowdown_median"] = Math.Round(Median(Kind.Kill) / Median(Kind.NoKill), 3),
                ["slowdown_streaming_median"] = Math.Round(Median(Kind.KillStreaming) / Median(Kind.NoKill), 3),
            }));
            return 0;
        }
        finally
        {
            logDir.Delete(recursive: true);
        }
    }

    /// <summary>T tasks <c>x => { sleep; log; x + 1 }</c>, keyed by <paramref name="tag"/> so that repetitions share nothing.</summary>
    private static Future<int>[] Submit(Client client, string tag, int tasks, double sleep, string log)
    {
        var delay = TimeSpan.FromSeconds(sleep);
        return client.Map((int x) =>
        {
            Thread.Sleep(delay);
            // One file per execution that finished its work, whatever became of its result (appends to one
            // file from two processes could overwrite each other: .NET's append mode is a seek, not O_APPEND).
            File.WriteAllBytes(Path.Combine(log, $"{x}-{Guid.NewGuid():N}"), []);
            return x + 1;
        }, Enumerable.Range(0, tasks), new SubmitOptions { Key = "slow_inc-" + tag });
    }

    private static async Task<int[]> GatherAsync(Client client, Future<int>[] futures, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GatherAsync(futures, cancellationToken);
        }
        finally
        {
            foreach (var f in futures) f.Dispose();
        }
    }

    private static async Task<Run> RunOnceAsync(Client client, LocalCluster cluster, int workers, int tasks, double sleep, string tag, string log, Kind kind, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(log);
        var reportedBefore = cluster.Scheduler.TasksDone;
        var recoveredBefore = cluster.Scheduler.ResultsRecoveredOnRegistration;
        var departuresBefore = cluster.Scheduler.Departures.Count;
        var clock = Stopwatch.StartNew();
        var futures = Submit(client, tag, tasks, sleep, log);
        // The natural C# form: the gather is under way while the worker dies.
        var gather = kind == Kind.KillStreaming ? GatherAsync(client, futures, cancellationToken) : null;
        double? killAt = null, back = null;
        if (kind != Kind.NoKill)
        {
            while (futures.Count(f => f.IsDone) < tasks / 2) await Task.Delay(5, cancellationToken);
            var before = (await client.GetClusterInfoAsync(cancellationToken)).Workers.Select(w => w.Address).ToHashSet();
            var victim = cluster.Scheduler.WorkerProcesses.OrderBy(w => w.Worker, StringComparer.Ordinal).First();
            Process.GetProcessById(victim.Pid).Kill(); // SIGKILL, as resilience.py's os.kill(pid, SIGKILL)
            killAt = clock.Elapsed.TotalSeconds;
            while (true)
            {
                var now = (await client.GetClusterInfoAsync(cancellationToken)).Workers.Select(w => w.Address).ToHashSet();
                if (now.Count == workers && now.Except(before).Any()) break;
                await Task.Delay(5, cancellationToken);
            }

            back = clock.Elapsed.TotalSeconds - killAt;
        }

        var results = await (gather ?? GatherAsync(client, futures, cancellationToken));
        var seconds = clock.Elapsed.TotalSeconds;
        var ok = results.SequenceEqual(Enumerable.Range(1, tasks));
        var executions = Directory.GetFiles(log).Length;
        // Results only the killed worker held when the scheduler removed it (the scheduler's count).
        int? lost = kind == Kind.NoKill ? null : cluster.Scheduler.Departures.Skip(departuresBefore).Sum(d => d.Lost);
        // Of those, the ones the replacement took back from the journal (not recomputed).
        long? recovered = kind == Kind.NoKill ? null : cluster.Scheduler.ResultsRecoveredOnRegistration - recoveredBefore;
        return new Run(seconds, ok, executions, cluster.Scheduler.TasksDone - reportedBefore, lost, recovered, killAt, back);
    }
}

using System.Diagnostics;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// Tasks that submit tasks (issue 13): one task on a worker submits N no-op subtasks through
/// <see cref="WorkerContext.GetClientAsync"/> and gathers them, against the same map from an outside client.
/// Usage: subtasks [--workers 2] [--threads 1] [--n 1000] [--reps 5]. Both are timed from the first submission to the
/// results in hand (inside: on the worker, by the task itself; outside: on the client); the best repetition counts.
/// Target: the inside rate at least 50 % of the outside one.
/// </summary>
public sealed class SubtasksBenchmark : IBenchmark
{
    private static readonly SubmitOptions Impure = new() { Pure = false };

    /// <inheritdoc />
    public string Name => "subtasks";

    /// <inheritdoc />
    public string Description => "a task submitting N subtasks from its worker vs the same map from an outside client (tasks/s)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 2);
        var threads = a.Int("threads", 1);
        var n = a.Int("n", 1000);
        var reps = a.Int("reps", 5);
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = workers, ThreadsPerWorker = threads }, cancellationToken);
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);

        var outside = new List<double>();
        var inside = new List<double>();
        for (var rep = 0; rep <= reps; rep++) // repetition 0 warms up (code shipped, JIT, the workers' client connected)
        {
            var watch = Stopwatch.StartNew();
            var futures = client.Map(static (long x) => x + 1, Enumerable.Range(0, n).Select(i => (long)i), Impure);
            var sum = (await client.GatherAsync(futures, cancellationToken)).Sum();
            var outsideSeconds = watch.Elapsed.TotalSeconds;
            if (sum != (long)n * (n + 1) / 2) throw new InvalidOperationException($"outside map summed {sum}");
            foreach (var f in futures) f.Dispose();

            var parent = client.Submit(static async (int count) =>
            {
                var inner = await WorkerContext.GetClientAsync();
                var timer = Stopwatch.StartNew();
                var subtasks = inner.Map(static (long x) => x + 1, Enumerable.Range(0, count).Select(i => (long)i), Impure);
                var total = (await inner.GatherAsync(subtasks)).Sum();
                var seconds = timer.Elapsed.TotalSeconds;
                foreach (var f in subtasks) f.Dispose();
                return total == (long)count * (count + 1) / 2 ? seconds : -1;
            }, n, Impure);
            var insideSeconds = await parent.ResultAsync(cancellationToken);
            if (insideSeconds < 0) throw new InvalidOperationException("the inside map summed wrong");
            parent.Dispose();
            if (rep == 0) continue;
            outside.Add(n / outsideSeconds);
            inside.Add(n / insideSeconds);
            Console.Error.WriteLine($"subtasks: rep {rep}: outside {n / outsideSeconds:0} tasks/s, inside {n / insideSeconds:0} tasks/s");
        }

        var best = (Outside: outside.Max(), Inside: inside.Max());
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["benchmark"] = Name,
            ["workers"] = workers,
            ["threads"] = threads,
            ["n"] = n,
            ["outside_tasks_per_s"] = Math.Round(best.Outside),
            ["inside_tasks_per_s"] = Math.Round(best.Inside),
            ["inside_over_outside"] = Math.Round(best.Inside / best.Outside, 3),
            ["outside_median"] = Math.Round(outside.Order().ElementAt(outside.Count / 2)),
            ["inside_median"] = Math.Round(inside.Order().ElementAt(inside.Count / 2)),
        }));
        return 0;
    }
}

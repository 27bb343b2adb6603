using System.Diagnostics;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// What waiting and gathering cost per future (issue 13: WaitAsync, AsCompleted with results and nested gathers
/// should cost no more per future than GatherAsync), over TCP with worker processes.
/// Usage: wait-gather [--workers 2] [--threads 1] [--n 20000] [--reps 5] [--groups 100]
/// Each repetition maps a no-op over N fresh items and takes the results one way, timed from the Map to the last
/// result (or, for wait, the last completion) on the client:
/// <list type="bullet">
/// <item>gather: <c>GatherAsync(futures)</c> (the baseline);</item>
/// <item>wait: <c>WaitAsync(futures, AllCompleted)</c> (no result fetched);</item>
/// <item>wait+gather: <c>WaitAsync</c>, then <c>GatherAsync</c>;</item>
/// <item>as-completed-results: <c>AsCompletedWithResults(futures)</c>, every pair read;</item>
/// <item>nested: the futures in a <c>Dictionary&lt;string, List&lt;Future&gt;&gt;</c> of GROUPS lists, gathered into the same structure of values.</item>
/// </list>
/// Between repetitions the futures are released and the benchmark waits until the scheduler forgot every task.
/// </summary>
public sealed class WaitGatherBenchmark : IBenchmark
{
    private static readonly Func<long, long> Inc = static x => x + 1;

    /// <inheritdoc />
    public string Name => "wait-gather";

    /// <inheritdoc />
    public string Description => "µs per future: GatherAsync vs WaitAsync, AsCompletedWithResults and a nested gather (issue 13)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 2);
        var threads = a.Int("threads", 1);
        var n = a.Int("n", 20_000);
        var reps = a.Int("reps", 5);
        var groups = a.Int("groups", 100);
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = workers, ThreadsPerWorker = threads }, cancellationToken);
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);

        var ways = new (string Name, Func<Future<long>[], Task> Take)[]
        {
            ("gather", futures => client.GatherAsync(futures, cancellationToken)),
            ("wait", futures => client.WaitAsync(futures, WaitFor.AllCompleted, null, cancellationToken)),
            ("wait+gather", async futures =>
            {
                await client.WaitAsync(futures, WaitFor.AllCompleted, null, cancellationToken);
                await client.GatherAsync(futures, cancellationToken);
            }),
            ("as-completed-results", async futures =>
            {
                long sum = 0;
                await foreach (var (_, value) in client.AsCompletedWithResults(futures, cancellationToken)) sum += value;
                GC.KeepAlive(sum);
            }),
            ("nested", futures =>
            {
                var structure = new Dictionary<string, List<Future<long>>>();
                for (var i = 0; i < futures.Length; i++)
                {
                    var group = "g" + (i % groups);
                    if (!structure.TryGetValue(group, out var list)) structure[group] = list = [];
                    list.Add(futures[i]);
                }

                return client.GatherAsync<Dictionary<string, List<long>>>(structure, GatherErrors.Raise, cancellationToken);
            }),
        };

        var offset = 0L;
        // Warm-up: code shipped, JIT done, connections open.
        foreach (var (_, take) in ways) await RepAsync(client, take, 2_000, offset += 1_000_000, cancellationToken);
        var results = new Dictionary<string, object>();
        for (var rep = 0; rep < reps; rep++)
        {
            // Interleaved, so that a change in the machine's load meets every way alike.
            foreach (var (name, take) in ways)
            {
                var seconds = await RepAsync(client, take, n, offset += 1_000_000, cancellationToken);
                Console.Error.WriteLine($"{name} rep {rep}: {seconds:0.000} s, {seconds * 1e6 / n:0.0} µs per future");
                if (!results.TryGetValue(name, out var list)) results[name] = list = new List<double>();
                ((List<double>)list).Add(seconds * 1e6 / n);
            }
        }

        var summary = results.ToDictionary(p => p.Key, p => (object)BenchStats.Summary((List<double>)p.Value));
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["benchmark"] = Name, ["shoal"] = BenchStats.ShoalVersion, ["workers"] = workers, ["threads"] = threads, ["n"] = n, ["groups"] = groups,
            ["us_per_future"] = summary,
        }));
        return 0;
    }

    private static async Task<double> RepAsync(Client client, Func<Future<long>[], Task> take, int n, long offset, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var futures = client.Map(Inc, Enumerable.Range(0, n).Select(i => offset + i));
        await take(futures);
        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var future in futures) future.Dispose();
        while ((await client.GetClusterInfoAsync(cancellationToken)).Tasks > 0) await Task.Delay(10, cancellationToken);
        return seconds;
    }
}

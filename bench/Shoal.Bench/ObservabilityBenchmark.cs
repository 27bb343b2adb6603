using System.Diagnostics;
using System.Text.Json;
using Shoal.Execution;
using Shoal.Metrics;

namespace Shoal.Bench;

/// <summary>
/// What watching a cluster costs and how fresh it is: the time and size of a /metrics scrape (the
/// scheduler's, with task groups and workers, and a worker's endpoint), and the latency from a
/// change in the cluster (a task submitted) to the dashboard's server-sent update that shows it.
/// </summary>
/// <remarks>
/// <c>observe [--workers 2] [--groups 100] [--tasks 10000] [--scrapes 200] [--changes 10]</c>.
/// The scheduler, the client and the HTTP client share the benchmark process; the workers are processes.
/// </remarks>
public sealed class ObservabilityBenchmark : IBenchmark
{
    public string Name => "observe";

    public string Description => "/metrics scrape time and size (scheduler, worker); change-to-SSE-update latency";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        int workers = a.Int("workers", 2), groups = a.Int("groups", 100), tasks = a.Int("tasks", 10_000), scrapes = a.Int("scrapes", 200), changes = a.Int("changes", 10);
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true, Workers = workers, ThreadsPerWorker = 1, DashboardAddress = "127.0.0.1:0",
        }, cancellationToken);
        await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);
        // Work in many groups, so that the scrape carries a histogram per group.
        var held = Enumerable.Range(0, tasks).Select(i => client.Submit(static (int x) => x, i, new SubmitOptions { Key = $"g{i % groups}-{i}" })).ToArray();
        await client.GatherAsync(held, cancellationToken);
        var link = new Uri(cluster.DashboardLink!);
        using var http = new HttpClient { BaseAddress = new Uri(link.GetLeftPart(UriPartial.Authority)), Timeout = TimeSpan.FromSeconds(30) };
        var scheduler = await ScrapeAsync(http, "/metrics", scrapes, cancellationToken);
        Console.Error.WriteLine($"observe: scheduler /metrics median {scheduler.Median * 1e3:0.00} ms, {scheduler.Bytes:N0} bytes");

        // A worker's endpoint with as many groups recorded as the scheduler's.
        using var instruments = new WorkerInstruments("bench-worker");
        await using var endpoint = await MetricsEndpoint.StartAsync(instruments.Meter, "127.0.0.1", 0, null, Protocol.Messages.Role.Worker, null, cancellationToken);
        // Recorded once the endpoint listens (with no listener, recording is skipped).
        for (int i = 0; i < tasks; i++) instruments.TaskFinished($"g{i % groups}-{i}", 0.001, succeeded: true);
        instruments.Publish(new WorkerGauges { Threads = 1, StoredKeys = tasks, ManagedBytes = tasks * 24L, ProcessMemory = 100 << 20 });
        using var workerHttp = new HttpClient { BaseAddress = new Uri(endpoint.BaseAddress), Timeout = TimeSpan.FromSeconds(30) };
        var worker = await ScrapeAsync(workerHttp, "/metrics", scrapes, cancellationToken);
        Console.Error.WriteLine($"observe: worker /metrics median {worker.Median * 1e3:0.00} ms, {worker.Bytes:N0} bytes");

        var latencies = await ChangeLatencyAsync(http, client, changes, cancellationToken);
        Console.Error.WriteLine($"observe: change to SSE update median {BenchStats.Median(latencies) * 1e3:0} ms, max {latencies.Max() * 1e3:0} ms");
        GC.KeepAlive(held);

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["benchmark"] = Name,
            ["shoal"] = BenchStats.ShoalVersion,
            ["workers"] = workers,
            ["groups"] = groups,
            ["tasks"] = tasks,
            ["scheduler_scrape_s"] = BenchStats.Summary(scheduler.Times),
            ["scheduler_scrape_bytes"] = scheduler.Bytes,
            ["worker_scrape_s"] = BenchStats.Summary(worker.Times),
            ["worker_scrape_bytes"] = worker.Bytes,
            ["change_to_update_s"] = BenchStats.Summary(latencies),
            ["load"] = File.ReadAllText("/proc/loadavg").Split(' ')[0],
        }));
        return 0;
    }

    private static async Task<(List<double> Times, double Median, long Bytes)> ScrapeAsync(HttpClient http, string path, int n, CancellationToken cancellationToken)
    {
        var times = new List<double>(n);
        long bytes = 0;
        for (int i = 0; i < n + 5; i++)
        {
            var clock = Stopwatch.StartNew();
            var body = await http.GetByteArrayAsync(path, cancellationToken);
            if (i < 5) continue; // warm-up: JIT, first snapshot
            times.Add(clock.Elapsed.TotalSeconds);
            bytes = body.Length;
        }

        return (times, BenchStats.Median(times), bytes);
    }

    /// <summary>Submits a task that runs a second, and times until an update on /api/v1/stream counts it processing; then waits for it to end.</summary>
    private static async Task<List<double>> ChangeLatencyAsync(HttpClient http, Client client, int n, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("/api/v1/stream", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var latencies = new List<double>(n);
        for (int i = 0; i < n; i++)
        {
            // The workload: a task that runs for a second (workers are processes: nothing can be handed to it to wait on).
            var submitted = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var waiting = client.Submit(static () => { Thread.Sleep(1000); return 1; }, new SubmitOptions { Key = $"latency-{Guid.NewGuid():N}" });
            while (true)
            {
                var line = await reader.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException("the stream ended");
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                using var update = JsonDocument.Parse(line[6..]);
                // Updates queued before the change (the stream keeps a few) do not count: only one taken after it that shows it.
                if (update.RootElement.GetProperty("taken").GetDateTimeOffset() >= submitted
                    && update.RootElement.GetProperty("states").GetProperty("processing").GetInt32() >= 1) break;
            }

            latencies.Add(clock.Elapsed.TotalSeconds);
            await waiting.ResultAsync(cancellationToken);
            waiting.Dispose();
        }

        return latencies;
    }
}

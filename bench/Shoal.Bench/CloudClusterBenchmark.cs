using System.Diagnostics;
using System.Text.Json;
using Shoal.Cloud.Aws;
using Shoal.Cloud.Gcp;
using Shoal.Cloud.Tests.Aws.Fake;
using Shoal.Cloud.Tests.Gcp;

namespace Shoal.Bench;

/// <summary>
/// FargateCluster and GcpCluster against the tests' fake APIs (tests/Shoal.Cloud.Tests) with a region's
/// latency on every call: from ScaleAsync(N) to all N tasks or VMs created (client time), to all N
/// workers registered (the fake's boot delay included), and DisposeAsync of everything.
/// Usage: cloud-clusters [--workers 20] [--latency-ms 50] [--boot-ms 1000] [--stop-ms 500] [--reps 3]
/// </summary>
public sealed class CloudClusterBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "cloud-clusters";

    /// <inheritdoc />
    public string Description => "ECS/Fargate and GCP managers vs fake APIs with latency: N requested to created, to registered, and disposal";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 20);
        var latency = TimeSpan.FromMilliseconds(a.Int("latency-ms", 50));
        var boot = TimeSpan.FromMilliseconds(a.Int("boot-ms", 1000));
        var stop = TimeSpan.FromMilliseconds(a.Int("stop-ms", 500));
        var reps = a.Int("reps", 3);
        var results = new Dictionary<string, object>();
        foreach (var cloud in new[] { "ecs", "gcp" })
        {
            var created = new List<double>();
            var registered = new List<double>();
            var disposed = new List<double>();
            for (var rep = 0; rep < reps; rep++)
            {
                var (c, r, d, left) = cloud == "ecs"
                    ? await EcsAsync(workers, latency, boot, stop, cancellationToken)
                    : await GcpAsync(workers, latency, boot, stop, cancellationToken);
                created.Add(c);
                registered.Add(r);
                disposed.Add(d);
                Console.Error.WriteLine($"{cloud} rep {rep + 1}: {workers} created in {c:0.000} s, registered in {r:0.000} s, disposed in {d:0.000} s; {left} objects left");
                if (left > 0) return 1;
            }
            results[cloud] = new
            {
                created_median_s = BenchStats.Median(created), registered_median_s = BenchStats.Median(registered), dispose_median_s = BenchStats.Median(disposed),
                created_all_s = created, registered_all_s = registered, dispose_all_s = disposed,
            };
        }

        Console.WriteLine(JsonSerializer.Serialize(new { benchmark = Name, workers, latency_ms = latency.TotalMilliseconds, boot_ms = boot.TotalMilliseconds, stop_ms = stop.TotalMilliseconds, reps, results }));
        return 0;
    }

    private static async Task<(double Created, double Registered, double Disposed, int Left)> EcsAsync(int workers, TimeSpan latency, TimeSpan boot, TimeSpan stop, CancellationToken ct)
    {
        await using var aws = await FakeAws.StartAsync();
        aws.Latency = latency;
        aws.Ecs.StartDelay = boot;
        aws.Ecs.StopDelay = stop;
        var cluster = await FargateCluster.StartAsync(aws.Options() with { PollInterval = TimeSpan.FromMilliseconds(250) }, ct);
        var (created, registered) = await MeasureAsync(cluster.ScaleAsync(workers, ct), () => aws.Ecs.Tasks.Count == workers);
        var clock = Stopwatch.StartNew();
        await cluster.DisposeAsync();
        return (created, registered, clock.Elapsed.TotalSeconds, aws.Leftovers().Count);
    }

    private static async Task<(double Created, double Registered, double Disposed, int Left)> GcpAsync(int workers, TimeSpan latency, TimeSpan boot, TimeSpan stop, CancellationToken ct)
    {
        await using var gcp = await FakeGcp.StartAsync();
        var directory = Directory.CreateTempSubdirectory("shoal-bench-gcp-");
        try
        {
            gcp.Latency = latency;
            gcp.BootDelay = boot;
            gcp.OperationDelay = stop;
            var cluster = await GcpCluster.StartAsync(gcp.Options(gcp.WriteKeyFile(directory.FullName)) with { PollInterval = TimeSpan.FromMilliseconds(250) }, ct);
            var (created, registered) = await MeasureAsync(cluster.ScaleAsync(workers, ct), () => gcp.Inserted.Count == workers);
            var clock = Stopwatch.StartNew();
            await cluster.DisposeAsync();
            return (created, registered, clock.Elapsed.TotalSeconds, gcp.Leftovers().Count);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Seconds until <paramref name="allCreated"/> holds (polled every millisecond) and until <paramref name="scale"/> completes.</summary>
    private static async Task<(double Created, double Registered)> MeasureAsync(Task scale, Func<bool> allCreated)
    {
        var clock = Stopwatch.StartNew();
        while (!allCreated())
        {
            if (scale.IsFaulted) await scale;
            await Task.Delay(1);
        }
        var created = clock.Elapsed.TotalSeconds;
        await scale;
        return (created, clock.Elapsed.TotalSeconds);
    }
}

using System.Diagnostics;
using System.Text.Json;
using Shoal.Kubernetes;
using Shoal.Tests.Kubernetes;
using Shoal.Tests.Kubernetes.Fake;

namespace Shoal.Bench;

/// <summary>
/// KubeCluster against the tests' fake Kubernetes API server with a latency per request (a real
/// API server answers writes in milliseconds): from ScaleAsync(N) to all N worker pods created
/// (seen by the fake's kubelet), to all N registered (each pod an in-process worker over TLS), and
/// DisposeAsync to every object gone. Usage: kube-cluster [--workers 20] [--latency-ms 10] [--reps 3]
/// </summary>
public sealed class KubeClusterBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "kube-cluster";

    /// <inheritdoc />
    public string Description => "KubeCluster vs the fake API server with latency: N pods created, registered, and DisposeAsync";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 20);
        var latency = TimeSpan.FromMilliseconds(a.Int("latency-ms", 10));
        var reps = a.Int("reps", 3);
        var created = new List<double>();
        var registered = new List<double>();
        var disposed = new List<double>();
        var startup = new List<double>();
        var template = k8s.KubernetesYaml.Deserialize<k8s.Models.V1Pod>("""
            apiVersion: v1
            kind: Pod
            spec:
              containers:
                - name: worker
                  image: localhost/shoal:bench
            """);
        for (var rep = 0; rep < reps; rep++)
        {
            await using var kubelet = new CountingKubelet(workers);
            await using var api = await FakeKubeApi.StartAsync(kubelet);
            api.Latency = latency;
            using var kubernetes = new k8s.Kubernetes(api.Configuration());
            var cluster = await KubeCluster.StartAsync(template, new KubeClusterOptions { Kubernetes = kubernetes, Name = $"bench-{rep}" }, cancellationToken);
            var clock = Stopwatch.StartNew();
            var scaling = cluster.ScaleAsync(workers, cancellationToken);
            await kubelet.AllSeen.WaitAsync(cancellationToken);
            created.Add(clock.Elapsed.TotalSeconds);
            await scaling;
            registered.Add(clock.Elapsed.TotalSeconds);
            startup.Add(BenchStats.Median(cluster.StartupTimes.Values.Select(t => t.TotalSeconds).ToList()));
            clock.Restart();
            await cluster.DisposeAsync();
            disposed.Add(clock.Elapsed.TotalSeconds);
            await api.SettledAsync();
            if (api.Store.All().Count != 0) throw new InvalidOperationException($"objects left after DisposeAsync: {api.Store.All().Count}");
            Console.Error.WriteLine($"rep {rep + 1}: {workers} pods created in {created[^1]:0.000} s, registered in {registered[^1]:0.000} s (a worker's requested-to-registered median {startup[^1]:0.000} s); DisposeAsync {disposed[^1]:0.000} s ({latency.TotalMilliseconds} ms per API request)");
        }

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = Name, workers, latency_ms = latency.TotalMilliseconds, reps,
            created_median_s = BenchStats.Median(created), created_all_s = created,
            registered_median_s = BenchStats.Median(registered), registered_all_s = registered,
            worker_startup_median_s = BenchStats.Median(startup), worker_startup_all_s = startup,
            dispose_median_s = BenchStats.Median(disposed), dispose_all_s = disposed,
        }));
        return 0;
    }

    /// <summary>Runs each pod as a real worker and says when it has seen <paramref name="expected"/> pods.</summary>
    private sealed class CountingKubelet(int expected) : IFakeKubelet, IAsyncDisposable
    {
        private readonly WorkerKubelet _inner = new();
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _seen;

        public Task AllSeen => _all.Task;

        public Task<FakePodOutcome> StartAsync(FakePod pod, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _seen) == expected) _all.TrySetResult();
            return _inner.StartAsync(pod, cancellationToken);
        }

        public Task StopAsync(FakePod pod) => _inner.StopAsync(pod);

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }
}

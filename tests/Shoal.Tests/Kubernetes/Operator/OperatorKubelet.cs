using System.Collections.Concurrent;
using System.Globalization;
using Shoal.Dashboard;
using Shoal.Deploy;
using Shoal.Scheduling;
using Shoal.Tests.Kubernetes.Fake;

namespace Shoal.Tests.Kubernetes.Operator;

/// <summary>
/// The fake cluster's kubelet for the operator's pods, each run as the container would run it, in
/// this process: a scheduler pod becomes a real scheduler (TLS and token from the files its args
/// name in its mounted Secret; its dashboard, the HTTP API the operator calls, requiring the bearer
/// token as it does off loopback); a worker pod a real worker that dials the address in its args;
/// a runner pod the test's client program, given SHOAL_SCHEDULER_ADDRESS and the client's files.
/// The cluster DNS is played too: NAME-scheduler.NS.svc resolves to the scheduler pod's address.
/// </summary>
internal sealed class OperatorKubelet : IFakeKubelet, IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Namespace, string Cluster), SchedulerServer> _schedulers = new();
    private readonly ConcurrentDictionary<string, (string Namespace, string Cluster)> _schedulerPods = new();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _runners = new();
    private readonly InProcessWorkerLauncher _workers = new();

    /// <summary>What a runner pod does: given the scheduler's address and the client's credentials, true when it succeeded.</summary>
    public Func<FakePod, string, SecurityOptions, CancellationToken, Task<bool>>? Runner { get; set; }

    /// <summary>The scheduler HTTP API of a cluster, as the operator reaches it in the test (the Service's DNS name, resolved).</summary>
    public Uri HttpApiOf(string cluster, string ns) =>
        _schedulers.TryGetValue((ns, cluster), out var s) && s.DashboardLink is { } link
            ? new Uri(link[..link.LastIndexOf('/')] + "/")
            : new Uri("http://127.0.0.1:9/"); // not started: nothing listens (the port of the discard service)

    public SchedulerServer? SchedulerOf(string cluster, string ns = "default") => _schedulers.GetValueOrDefault((ns, cluster));

    public async Task<FakePodOutcome> StartAsync(FakePod pod, CancellationToken cancellationToken)
    {
        switch (pod.Args.FirstOrDefault())
        {
            case "scheduler":
                var labels = pod.Object["metadata"]!["labels"].StringMap();
                var key = (pod.Namespace, labels["shoal.dev/cluster"]);
                var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
                {
                    ListenAddress = "tls://127.0.0.1:0",
                    Security = Credentials(pod),
                    Dashboard = new DashboardOptions { Address = "127.0.0.1:0", RequireCredentials = true },
                });
                _schedulers[key] = scheduler;
                _schedulerPods[pod.Uid] = key;
                pod.Log($"scheduler at {scheduler.Address}");
                return FakePodOutcome.Running;
            case "worker":
                var name = pod.Env["SHOAL_WORKER_NAME"];
                var threads = int.Parse(pod.Flag("--nthreads") ?? "1", CultureInfo.InvariantCulture);
                await _workers.StartAsync(new WorkerLaunch(name, Resolve(pod.Args[1]), threads, 0, Credentials(pod)), cancellationToken);
                pod.Log($"worker {name} joined");
                return FakePodOutcome.Running;
            default:
                var run = Runner ?? throw new InvalidOperationException($"pod {pod.Name}: no runner given to the kubelet");
                using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    _runners[pod.Uid] = cts;
                    var security = SecurityOptions.FromPem(pod.ReadMountedFile(pod.Env["SHOAL_TLS_CA_FILE"]), pod.ReadMountedFile(pod.Env["SHOAL_TLS_CERT"]),
                        pod.ReadMountedFile(pod.Env["SHOAL_TLS_KEY"])).WithToken(pod.ReadMountedFile(pod.Env["SHOAL_TOKEN_FILE"]).Trim());
                    bool ok = await run(pod, Resolve(pod.Env["SHOAL_SCHEDULER_ADDRESS"]), security, cts.Token);
                    _runners.TryRemove(pod.Uid, out _);
                    return ok ? FakePodOutcome.Succeeded : FakePodOutcome.Failed;
                }
        }
    }

    public async Task StopAsync(FakePod pod)
    {
        if (_schedulerPods.TryRemove(pod.Uid, out var key) && _schedulers.TryRemove(key, out var scheduler)) await scheduler.DisposeAsync();
        else if (pod.Env.TryGetValue("SHOAL_WORKER_NAME", out var worker)) await _workers.StopAsync(worker);
        else if (_runners.TryGetValue(pod.Uid, out var runner)) await runner.CancelAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _workers.DisposeAsync();
        foreach (var s in _schedulers.Values) await s.DisposeAsync();
    }

    /// <summary>The pod's credentials, from the files its flags (or, for a runner, its environment) name.</summary>
    private static SecurityOptions Credentials(FakePod pod)
    {
        string File(string flag) => pod.ReadMountedFile(pod.Flag(flag) ?? throw new InvalidOperationException($"pod {pod.Name}: no {flag}"));
        return SecurityOptions.FromPem(File("--tls-ca-file"), File("--tls-cert"), File("--tls-key")).WithToken(File("--token-file").Trim());
    }

    /// <summary>tls://NAME-scheduler.NS.svc:8786 as the cluster DNS resolves it: the scheduler pod's real address.</summary>
    private string Resolve(string address)
    {
        var host = new Uri(address).Host.Split('.');
        if (host.Length < 3 || host[2] != "svc" || !host[0].EndsWith("-scheduler", StringComparison.Ordinal))
            throw new InvalidOperationException($"{address}: not a scheduler Service's DNS name");
        return _schedulers.TryGetValue((host[1], host[0][..^"-scheduler".Length]), out var s)
            ? s.Address
            : throw new InvalidOperationException($"{address}: no scheduler pod behind that Service");
    }
}

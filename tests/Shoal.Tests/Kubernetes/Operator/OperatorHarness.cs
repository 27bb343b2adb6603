using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Shoal.Kubernetes.Operator;
using Shoal.Tests.Kubernetes.Fake;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Kubernetes.Operator;

/// <summary>
/// The fake API server with the operator's CRDs installed from deploy/operator/crds.yaml (so their
/// schemas prune and check what the operator writes), its pods run by <see cref="OperatorKubelet"/>,
/// and the operator itself running as its own service account, which a test may stop and start again.
/// </summary>
internal sealed class OperatorHarness : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    public const string Clusters = "shoalclusters.shoal.dev";
    public const string Groups = "shoalworkergroups.shoal.dev";
    public const string Jobs = "shoaljobs.shoal.dev";
    public const string Autoscalers = "shoalautoscalers.shoal.dev";

    private readonly k8s.Kubernetes _asOperator;
    private CancellationTokenSource? _stop;
    private Task _running = Task.CompletedTask;

    private OperatorHarness(FakeKubeApi api, OperatorKubelet kubelet)
    {
        Api = api;
        Kubelet = kubelet;
        Admin = new k8s.Kubernetes(api.Configuration());
        _asOperator = new k8s.Kubernetes(api.AddUser("shoal-operator"));
    }

    public FakeKubeApi Api { get; }

    /// <summary>What the operator logged (its failures with their exceptions).</summary>
    public OperatorLog Log { get; } = new();

    public OperatorKubelet Kubelet { get; }

    public k8s.Kubernetes Admin { get; }

    /// <summary>The operator running now (null while stopped).</summary>
    public ShoalOperator? Operator { get; private set; }

    public static string CrdPath => Path.Combine(Shoal.Tests.Deploy.Podman.RepositoryRoot, "deploy/operator/crds.yaml");

    public static async Task<OperatorHarness> StartAsync(TimeSpan? resync = null)
    {
        var kubelet = new OperatorKubelet();
        var harness = new OperatorHarness(await FakeKubeApi.StartAsync(kubelet), kubelet);
        // kubectl apply -f deploy/operator/crds.yaml: the fake serves each CRD's API once it is created.
        foreach (var crd in KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(CrdPath)).Cast<V1CustomResourceDefinition>())
            await harness.Admin.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        harness.StartOperator(resync);
        return harness;
    }

    public void StartOperator(TimeSpan? resync = null)
    {
        _stop = new CancellationTokenSource();
        Operator = new ShoalOperator(_asOperator, new ShoalOperatorOptions
        {
            PollInterval = TimeSpan.FromMilliseconds(100),
            ResyncInterval = resync ?? TimeSpan.FromSeconds(5),
            SchedulerHttpUri = Kubelet.HttpApiOf,
            LoggerFactory = Log,
        });
        var op = Operator;
        var token = _stop.Token;
        _running = Task.Run(() => op.RunAsync(token));
    }

    /// <summary>Stops the operator as a killed pod would: its loops cancelled mid-work, nothing tidied.</summary>
    public async Task StopOperatorAsync()
    {
        if (_stop is null) return;
        await _stop.CancelAsync();
        await _running.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
        _stop = null;
        Operator = null;
    }

    /// <summary>Creates a custom object from YAML-ish JSON text, as kubectl apply would.</summary>
    public Task<object> CreateAsync(string plural, JsonObject o, string ns = "default") =>
        Admin.CustomObjects.CreateNamespacedCustomObjectAsync(o, "shoal.dev", "v1alpha1", ns, plural);

    public Task PatchSpecAsync(string plural, string name, object spec, string ns = "default") =>
        Admin.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(new { spec }, V1Patch.PatchType.MergePatch), "shoal.dev", "v1alpha1", ns, plural, name);

    public JsonObject? Get(string resourceKey, string name, string ns = "default") => Api.Store.Get(resourceKey, ns, name);

    public List<JsonObject> WorkerPods(string group) =>
        [.. Api.Objects("pods").Where(p => p.Meta()["labels"]?["shoal.dev/worker-group"]?.GetValue<string>() == group)];

    /// <summary>Waits until the object's status satisfies <paramref name="until"/>.</summary>
    public async Task<JsonObject> StatusAsync(string resourceKey, string name, Func<JsonNode, bool> until, string what, string ns = "default")
    {
        await Explained(Eventually.HoldsAsync(() => Get(resourceKey, name, ns)?["status"] is { } s && until(s), Patience, what), resourceKey, name);
        return Get(resourceKey, name, ns)!;
    }

    /// <summary>Waits until the group's spec.replicas pods all run registered workers and no other pod is left.</summary>
    public Task GroupSettledAsync(string group, int workers) => Explained(Eventually.HoldsAsync(() => Get(Groups, group)?["status"] is { } s && s["workers"]?.GetValue<int>() == workers && s["replicas"]?.GetValue<int>() == workers
            && s["conditions"]?.AsArray().Any(c => c.Str("type") == "Ready" && c.Str("status") == "True") == true && WorkerPods(group).Count == workers,
            Patience, $"{group}: {workers} workers registered, {workers} pods"), Groups, group);

    /// <summary>A wait whose timeout says what the object looked like and what the operator logged.</summary>
    private async Task Explained(Task wait, string resourceKey, string name)
    {
        try
        {
            await wait;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{resourceKey} {name}: {Get(resourceKey, name)?.ToJsonString()}\npods: {string.Join(", ", Api.Objects("pods").Select(p => $"{p.Meta().Str("name")} {p["status"].Str("phase")}"))}\noperator log:\n{Log.Tail()}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopOperatorAsync();
        _asOperator.Dispose();
        Admin.Dispose();
        await Api.DisposeAsync();
        await Kubelet.DisposeAsync();
    }

    /// <summary>A ShoalCluster object.</summary>
    public static JsonObject Cluster(string name, int workers, string? serviceType = null) => new()
    {
        ["apiVersion"] = "shoal.dev/v1alpha1", ["kind"] = "ShoalCluster", ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["image"] = "localhost/shoal:test",
            ["scheduler"] = serviceType is null ? null : new JsonObject { ["serviceType"] = serviceType },
            ["workers"] = new JsonObject { ["replicas"] = workers, ["threads"] = 2 },
        },
    };
}

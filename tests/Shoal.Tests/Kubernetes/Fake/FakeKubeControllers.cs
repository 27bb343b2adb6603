using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Shoal.Tests.Kubernetes.Fake;

/// <summary>
/// The fake cluster's control loops, level-based as the real ones: the garbage collector (an object
/// whose owners are all gone goes), the deployment controller (pods made from the template until
/// there are spec.replicas; surplus pods removed in the ReplicaSet controller's order: unscheduled,
/// then not ready, then lower <c>controller.kubernetes.io/pod-deletion-cost</c>, then newest), the
/// kubelet (each new pod handed to <see cref="IFakeKubelet"/>, each deleted one stopped) and the
/// load-balancer allocator. One pass after every write.
/// </summary>
internal sealed class FakeKubeControllers(FakeKubeApi api, IFakeKubelet kubelet) : IAsyncDisposable
{
    private const string DeletionCost = "controller.kubernetes.io/pod-deletion-cost";
    private readonly Channel<bool> _kicks = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, (FakePod Pod, long Seen)> _kubeletPods = [];
    private readonly ConcurrentDictionary<(string, string), StringBuilder> _logs = new();
    private readonly List<string> _deletedPods = [];
    private readonly List<Task> _kubeletWork = [];
    private long _requested, _completed, _seen;
    private TaskCompletionSource _pass = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private CancellationToken _stopping;
    private Exception? _failure;

    private FakeKubeStore Store => api.Store;

    public IReadOnlyList<string> DeletedPods { get { lock (_deletedPods) return [.. _deletedPods]; } }

    public void Start(CancellationToken stopping)
    {
        _stopping = stopping;
        _loop = Task.Run(LoopAsync, CancellationToken.None);
    }

    public void Kick()
    {
        Interlocked.Increment(ref _requested);
        _kicks.Writer.TryWrite(true);
    }

    public async Task SettledAsync()
    {
        Kick();
        long target = Interlocked.Read(ref _requested);
        while (Interlocked.Read(ref _completed) < target)
        {
            Task next;
            lock (_kicks) next = _pass.Task;
            if (Interlocked.Read(ref _completed) >= target) break;
            await next.WaitAsync(TimeSpan.FromSeconds(30), _stopping);
        }

        if (_failure is { } failure) throw new InvalidOperationException("the fake API server's controllers failed", failure);
    }

    public void Deleted(string resource, JsonObject gone, bool orphan)
    {
        if (resource == "pods") lock (_deletedPods) _deletedPods.Add(gone.Meta().Str("name")!);
        if (!orphan) return;
        var uid = gone.Meta().Str("uid");
        foreach (var (r, o) in Store.All().Where(x => Owners(x.Object).Contains(uid)))
        {
            Store.Write(r, o.Meta().Str("namespace") ?? "", o.Meta().Str("name")!, current =>
            {
                if (current?["metadata"]?["ownerReferences"] is not JsonArray refs) return (null, null);
                foreach (var x in refs.Where(x => x.Str("uid") == uid).ToList()) refs.Remove(x);
                return (current, null);
            });
        }
    }

    public void AppendLog(string ns, string pod, string line)
    {
        var log = _logs.GetOrAdd((ns, pod), _ => new StringBuilder());
        lock (log) log.Append(line).Append('\n');
    }

    public bool HasLog(string ns, string pod) => _logs.ContainsKey((ns, pod));

    public string Log(string ns, string pod)
    {
        if (!_logs.TryGetValue((ns, pod), out var log)) return "";
        lock (log) return log.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        _kicks.Writer.TryComplete();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        List<FakePod> running;
        lock (_kubeletPods) running = [.. _kubeletPods.Values.Select(v => v.Pod)];
        await Task.WhenAll(running.Select(kubelet.StopAsync));
        Task[] work;
        lock (_kubeletWork) work = [.. _kubeletWork];
        await Task.WhenAll(work).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task LoopAsync()
    {
        while (await _kicks.Reader.WaitToReadAsync(_stopping))
        {
            _kicks.Reader.TryRead(out _);
            long seen = Interlocked.Read(ref _requested);
            try
            {
                Collect();
                foreach (var d in Store.List("deployments.apps", null).Items) Reconcile(d);
                RunPods();
                AllocateLoadBalancers();
            }
            catch (Exception e)
            {
                // A bug in the fake: SettledAsync reports it rather than waiting forever.
                _failure ??= e;
            }

            Interlocked.Exchange(ref _completed, seen);
            TaskCompletionSource done;
            lock (_kicks)
            {
                done = _pass;
                _pass = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            done.TrySetResult();
        }
    }

    private static List<string?> Owners(JsonObject o) =>
        o["metadata"]?["ownerReferences"] is JsonArray refs ? [.. refs.Select(r => r.Str("uid"))] : [];

    private void Collect()
    {
        bool removed;
        do
        {
            removed = false;
            var all = Store.All();
            var uids = all.Select(x => x.Object.Meta().Str("uid")).ToHashSet();
            foreach (var (resource, o) in all)
            {
                var owners = Owners(o);
                if (owners.Count == 0 || owners.Any(uids.Contains)) continue;
                if (Store.Remove(resource, o.Meta().Str("namespace") ?? "", o.Meta().Str("name")!) is { } gone)
                {
                    Deleted(resource, gone, orphan: false);
                    removed = true;
                }
            }
        }
        while (removed);
    }

    private void Reconcile(JsonObject deployment)
    {
        var meta = deployment.Meta();
        string ns = meta.Str("namespace")!, name = meta.Str("name")!, uid = meta.Str("uid")!;
        int desired = deployment["spec"]?["replicas"]?.GetValue<int>() ?? 1;
        var template = deployment["spec"]?["template"] as JsonObject ?? new JsonObject();
        var hash = FakeKubeJson.TemplateHash(template);
        var owned = Store.List("pods", ns, p => Owners(p).Contains(uid)).Items;
        for (int i = owned.Count; i < desired; i++)
        {
            var pod = (JsonObject)template.DeepClone();
            var podMeta = pod.Meta();
            podMeta.Child("labels")["pod-template-hash"] = hash;
            podMeta["namespace"] = ns;
            podMeta["uid"] = Guid.NewGuid().ToString();
            podMeta["creationTimestamp"] = FakeKubeJson.Now();
            podMeta["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = name, ["uid"] = uid, ["controller"] = true, ["blockOwnerDeletion"] = true,
            });
            FakeKubeDefaults.OnCreate(new FakeKubeResource("", "v1", "pods", "Pod"), pod);
            for (;;)
            {
                var podName = $"{name}-{hash}-{FakeKubeJson.RandomSuffix()}";
                podMeta["name"] = podName;
                if (Store.Write("pods", ns, podName, current => current is null ? (pod, null) : (null, FakeKubeError.AlreadyExists("pods", podName))).Error is null) break;
            }
        }

        if (owned.Count > desired)
        {
            foreach (var victim in owned.OrderBy(Rank).Take(owned.Count - desired))
            {
                if (Store.Remove("pods", ns, victim.Meta().Str("name")!) is { } gone) Deleted("pods", gone, orphan: false);
            }
        }

        owned = Store.List("pods", ns, p => Owners(p).Contains(uid)).Items;
        int ready = owned.Count(IsReady);
        var status = new JsonObject
        {
            ["observedGeneration"] = meta["generation"]?.GetValue<long>() ?? 1, ["replicas"] = owned.Count, ["updatedReplicas"] = owned.Count,
            ["readyReplicas"] = ready, ["availableReplicas"] = ready, ["unavailableReplicas"] = owned.Count - ready,
        };
        if (JsonNode.DeepEquals(deployment["status"], status)) return;
        Store.Write("deployments.apps", ns, name, current =>
        {
            if (current is null) return (null, null);
            current["status"] = status;
            return (current, null);
        });
    }

    /// <summary>The ReplicaSet controller's order for choosing which pods go (kubernetes/pkg/controller/controller_utils.go, ActivePodsWithRanks).</summary>
    private (int, int, int, long) Rank(JsonObject pod)
    {
        var phase = pod["status"].Str("phase");
        var cost = int.TryParse(pod["metadata"]?["annotations"].Str(DeletionCost), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 0;
        long seen;
        lock (_kubeletPods) seen = _kubeletPods.TryGetValue(pod.Meta().Str("uid")!, out var k) ? k.Seen : long.MaxValue;
        return (phase == "Pending" ? 0 : phase == "Running" ? 2 : 1, IsReady(pod) ? 1 : 0, cost, -seen);
    }

    private static bool IsReady(JsonObject pod) =>
        pod["status"]?["conditions"] is JsonArray conditions && conditions.Any(c => c.Str("type") == "Ready" && c.Str("status") == "True");

    private void RunPods()
    {
        var pods = Store.List("pods", null).Items;
        var present = pods.Select(p => p.Meta().Str("uid")!).ToHashSet();
        lock (_kubeletPods)
        {
            foreach (var gone in _kubeletPods.Where(p => !present.Contains(p.Key)).ToList())
            {
                _kubeletPods.Remove(gone.Key);
                Track(kubelet.StopAsync(gone.Value.Pod));
            }

            foreach (var p in pods.Where(p => !_kubeletPods.ContainsKey(p.Meta().Str("uid")!)))
            {
                var pod = Describe(p);
                _kubeletPods[pod.Uid] = (pod, ++_seen);
                Track(StartPodAsync(pod));
            }
        }
    }

    private void Track(Task work)
    {
        lock (_kubeletWork)
        {
            _kubeletWork.RemoveAll(t => t.IsCompleted);
            _kubeletWork.Add(work);
        }
    }

    private async Task StartPodAsync(FakePod pod)
    {
        FakePodOutcome outcome;
        try
        {
            outcome = await kubelet.StartAsync(pod, _stopping);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            pod.Log($"container failed to start: {e.Message}");
            outcome = FakePodOutcome.Failed;
        }

        Store.Write("pods", pod.Namespace, pod.Name, current =>
        {
            if (current is null || current.Meta().Str("uid") != pod.Uid) return (null, null);
            current["status"] = Status(current, outcome);
            return (current, null);
        });
        Kick();
    }

    private static JsonObject Status(JsonObject pod, FakePodOutcome outcome)
    {
        var now = FakeKubeJson.Now();
        var container = pod["spec"]?["containers"]?[0];
        JsonObject Condition(string type, bool ok, string? reason = null, string? message = null) => new()
        {
            ["type"] = type, ["status"] = ok ? "True" : "False", ["lastTransitionTime"] = now, ["reason"] = reason, ["message"] = message,
        };
        if (outcome == FakePodOutcome.Unschedulable)
        {
            return new JsonObject
            {
                ["phase"] = "Pending", ["qosClass"] = "BestEffort",
                ["conditions"] = new JsonArray(Condition("PodScheduled", false, "Unschedulable", "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")),
            };
        }

        bool running = outcome == FakePodOutcome.Running;
        var state = outcome switch
        {
            FakePodOutcome.Running => new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } },
            FakePodOutcome.CrashLoopBackOff => new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "CrashLoopBackOff", ["message"] = "back-off 5m0s restarting failed container" } },
            FakePodOutcome.Succeeded => new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 0, ["reason"] = "Completed", ["startedAt"] = now, ["finishedAt"] = now } },
            _ => new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 1, ["reason"] = "Error", ["startedAt"] = now, ["finishedAt"] = now } },
        };
        return new JsonObject
        {
            ["phase"] = outcome switch { FakePodOutcome.Failed => "Failed", FakePodOutcome.Succeeded => "Succeeded", _ => "Running" }, ["qosClass"] = "BestEffort",
            ["hostIP"] = "192.168.49.2", ["podIP"] = $"10.244.0.{Random.Shared.Next(2, 250)}", ["startTime"] = now,
            ["conditions"] = new JsonArray(Condition("PodScheduled", true), Condition("Initialized", true), Condition("ContainersReady", running), Condition("Ready", running)),
            ["containerStatuses"] = new JsonArray(new JsonObject
            {
                ["name"] = container.Str("name"), ["image"] = container.Str("image"), ["imageID"] = "", ["ready"] = running, ["started"] = running,
                ["restartCount"] = outcome == FakePodOutcome.CrashLoopBackOff ? 5 : 0, ["state"] = state,
                ["containerID"] = "containerd://" + Guid.NewGuid().ToString("N"),
            }),
        };
    }

    private FakePod Describe(JsonObject pod)
    {
        var meta = pod.Meta();
        string ns = meta.Str("namespace")!, name = meta.Str("name")!;
        var container = pod["spec"]?["containers"]?[0];
        var env = new Dictionary<string, string>();
        if (container?["env"] is JsonArray vars)
        {
            foreach (var v in vars)
            {
                var key = v.Str("name")!;
                if (v.Str("value") is { } value) env[key] = value;
                else if (v?["valueFrom"]?["fieldRef"].Str("fieldPath") is { } field) env[key] = field switch
                {
                    "metadata.name" => name, "metadata.namespace" => ns, "metadata.uid" => meta.Str("uid")!, _ => "",
                };
                else if (v?["valueFrom"]?["secretKeyRef"] is JsonObject secretRef &&
                         Store.Get("secrets", ns, secretRef.Str("name")!)?["data"].Str(secretRef.Str("key")!) is { } data)
                    env[key] = Encoding.UTF8.GetString(Convert.FromBase64String(data));
            }
        }

        static List<string> Strings(JsonNode? n) => n is JsonArray a ? [.. a.Select(x => x!.GetValue<string>())] : [];
        return new FakePod(ns, name, meta.Str("uid")!, pod, env, Strings(container?["args"]), Strings(container?["command"]), api);
    }

    private void AllocateLoadBalancers()
    {
        foreach (var svc in Store.List("services", null, s => s["spec"].Str("type") == "LoadBalancer" && s["status"]?["loadBalancer"]?["ingress"] is null).Items)
        {
            Store.Write("services", svc.Meta().Str("namespace")!, svc.Meta().Str("name")!, current =>
            {
                if (current is null) return (null, null);
                current.Child("status")["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(new JsonObject { ["ip"] = "203.0.113.10" }) };
                return (current, null);
            });
        }
    }
}

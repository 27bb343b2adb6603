using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Kubernetes.Autoscaling;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.Deploy;
using Shoal.Tests.EndToEnd;
using Shoal.Tests.Kubernetes.Fake;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Kubernetes;

/// <summary>Which pods a scale-down removes (pure).</summary>
public sealed class WorkerPodChoiceTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    [Fact]
    public void Unregistered_pods_go_first_in_the_ReplicaSet_controllers_order_then_the_scheduler_retires_the_rest()
    {
        WorkerPod[] pods =
        [
            new("old-ready", "Running", true, true, T0),
            new("new-ready", "Running", true, true, T0.AddSeconds(5)),
            new("starting", "Running", false, false, T0.AddSeconds(6)),
            new("pending-old", "Pending", false, false, T0.AddSeconds(1)),
            new("pending-new", "Pending", false, false, T0.AddSeconds(7)),
        ];
        var (two, none) = WorkerPodChoice.Choose(pods, 2);
        two.ShouldBe(["pending-new", "pending-old"]);
        none.ShouldBe(0);
        var (fresh, retire) = WorkerPodChoice.Choose(pods, 4);
        fresh.ShouldBe(["pending-new", "pending-old", "starting"]);
        retire.ShouldBe(1);
        WorkerPodChoice.Choose(pods, 9).Retire.ShouldBe(2); // never more than the registered workers
        WorkerPodChoice.Choose(pods, 0).Unregistered.ShouldBeEmpty();
        Should.Throw<ArgumentOutOfRangeException>(() => WorkerPodChoice.Choose(pods, -1));
    }
}

/// <summary>
/// <c>shoal autoscaler</c>'s loop against a real scheduler, real in-process workers (one per pod),
/// and the fake Kubernetes API (resource versions, conflicts, the deployment controller's choice by
/// pod-deletion-cost).
/// </summary>
public sealed class KubeAutoscalerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly ConcurrentDictionary<int, int> Executions = new();

    [Fact]
    public async Task It_scales_up_and_down_removing_exactly_the_pods_of_the_workers_it_retired_retrying_conflicts_and_losing_nothing()
    {
        var security = SecurityOptions.TemporaryToken();
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = $"inproc://autoscaler-{Guid.NewGuid():N}", Security = security,
        });
        await using var kubelet = new WorkerKubelet(scheduler.Address, security.ForRole(Role.Worker));
        await using var api = await FakeKubeApi.StartAsync(kubelet);
        using var admin = new k8s.Kubernetes(api.Configuration());
        var workers = FakeKubeApiTests.Deployment("shoal-worker", 1);
        workers.Spec.Template.Spec.Containers[0].Env = [new V1EnvVar { Name = "SHOAL_WORKER_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } }];
        await admin.AppsV1.CreateNamespacedDeploymentAsync(workers, "default");
        await using var client = await Client.ConnectAsync(scheduler.Address, new ClientOptions { Security = security });
        await client.WaitForWorkersAsync(1).WaitAsync(Patience);

        // The autoscaler as its own service account, so that its calls can be held against the chart's Role.
        using var kubernetes = new k8s.Kubernetes(api.AddUser("autoscaler"));
        await using var autoscalerClient = await Client.ConnectAsync(scheduler.Address, new ClientOptions { Security = security, Name = "autoscaler" });
        var autoscaler = new KubeAutoscaler(kubernetes, autoscalerClient,
            new KubeAutoscalerOptions { Deployment = "shoal-worker", Minimum = 1, Maximum = 4, WaitCount = 2, TargetDuration = 1 }, NullLogger.Instance);

        // Rise: 40 tasks held at a gate want 20 workers; the maximum is 4. The first write of the scale meets a 409.
        var gate = Gates.NewName("autoscaler");
        var futures = client.Map((int x) =>
        {
            Executions.AddOrUpdate(x, 1, (_, n) => n + 1);
            Gates.Get(gate).Task.Wait();
            return x * 7;
        }, Enumerable.Range(0, 40)).ToList();
        await Eventually.HoldsAsync(async () => (await client.GetAdaptiveTargetAsync(1)).Workers == 20, Patience, "the target follows the backlog");
        api.Fail(r => r.Verb == "update" && r.Subresource == "scale", FakeKubeError.Conflict("deployments.apps", "shoal-worker"));
        var up = await autoscaler.StepAsync(CancellationToken.None);
        (up.Target, up.Replicas, up.Wanted).ShouldBe((20, 1, 4));
        await client.WaitForWorkersAsync(4).WaitAsync(Patience);
        Gates.Open(gate);
        (await client.GatherAsync(futures).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 40).Select(x => x * 7));

        // Fall: nothing to do, the results still held. One lower reading changes nothing (wait count 2); the second retires.
        var before = (await client.GetClusterInfoAsync()).Workers.Select(w => w.Name).ToHashSet();
        var first = await autoscaler.StepAsync(CancellationToken.None);
        first.Wanted.ShouldBeNull();
        api.DeletedPods.ShouldBeEmpty();
        api.Fail(r => r.Verb == "update" && r.Subresource == "scale", FakeKubeError.Conflict("deployments.apps", "shoal-worker"));
        var down = await autoscaler.StepAsync(CancellationToken.None);
        (down.Replicas, down.Wanted).ShouldBe((4, 1));
        down.Removed.Count.ShouldBe(3);
        await api.SettledAsync();

        // The pods removed are exactly the retired workers; the one left is the one the scheduler kept.
        api.DeletedPods.Order().ShouldBe(down.Removed.Order());
        var left = (await client.GetClusterInfoAsync()).Workers.Select(w => w.Name).ShouldHaveSingleItem();
        api.Objects("pods").Select(p => p.Meta().Str("name")).ShouldBe([left]);
        before.Except(down.Removed).ShouldBe([left]);
        (await admin.AppsV1.ReadNamespacedDeploymentScaleAsync("shoal-worker", "default")).Spec.Replicas.ShouldBe(1);

        // Nothing lost, nothing recomputed: the retired workers' results moved to the one left.
        (await client.GatherAsync(futures).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 40).Select(x => x * 7));
        Executions.Where(e => e.Key < 40).ShouldAllBe(e => e.Value == 1);

        // Each conflict was met by reading again (two reads of the scale per write attempt at most), and nothing more was asked than the chart's Role grants.
        var calls = api.Requests.Where(r => r.User == "autoscaler").ToList();
        calls.Count(r => r.Verb == "update").ShouldBe(4); // 2 scale writes, each refused once
        var role = (await HelmRender.ObjectsAsync("--set", "autoscaler.enabled=true")).One<V1Role>("shoal-autoscaler");
        var granted = role.Rules.SelectMany(rule => rule.Resources.SelectMany(res => rule.Verbs.Select(v => (res, v)))).ToHashSet();
        calls.Select(r => (r.RbacResource, r.Verb)).ToHashSet().ShouldBe(granted, ignoreOrder: true);
        calls.Where(r => r.RbacResource == "deployments/scale").ShouldAllBe(r => role.Rules[0].ResourceNames.Contains(r.Name!));
    }
}

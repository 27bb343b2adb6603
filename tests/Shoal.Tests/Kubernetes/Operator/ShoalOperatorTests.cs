using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Shoal.Tests.Kubernetes.Fake;
using Shoal.Tests.Resilience;
using static Shoal.Tests.Kubernetes.Operator.OperatorHarness;

namespace Shoal.Tests.Kubernetes.Operator;

/// <summary>
/// `shoal operator`'s reconcile loops against the fake API server (CRDs from deploy/operator), with
/// real schedulers and workers running its pods: create, scale, delete a ShoalCluster; a deleted
/// worker pod; a lost watch; the operator restarted mid-scale.
/// </summary>
public sealed class ShoalOperatorTests
{
    [Fact]
    public async Task A_ShoalCluster_makes_a_scheduler_and_workers_that_compute_scales_down_only_by_retirement_and_deleting_it_leaves_nothing()
    {
        await using var h = await OperatorHarness.StartAsync();
        await h.CreateAsync("shoalclusters", Cluster("analysis", workers: 2));
        var cluster = await h.StatusAsync(Clusters, "analysis", s => s.Str("phase") == "Running", "the cluster runs");
        cluster["status"].Str("schedulerAddress").ShouldBe("tls://analysis-scheduler.default.svc:8786");
        await h.GroupSettledAsync("analysis-default", 2);

        // Its objects: the scheduler's Deployment and ClusterIP Service, the Secret, the default group, all owned by the cluster.
        var uid = cluster.Meta().Str("uid");
        foreach (var (resource, name) in new[] { ("deployments.apps", "analysis-scheduler"), ("services", "analysis-scheduler"), ("secrets", "analysis-tls"), (Groups, "analysis-default") })
            h.Get(resource, name)!.Meta()["ownerReferences"]![0].Str("uid").ShouldBe(uid, $"{resource} {name}");
        h.Get("services", "analysis-scheduler")!["spec"].Str("type").ShouldBe("ClusterIP");
        var group = h.Get(Groups, "analysis-default")!;
        foreach (var pod in h.WorkerPods("analysis-default"))
        {
            pod.Meta()["ownerReferences"]![0].Str("uid").ShouldBe(group.Meta().Str("uid"));
            pod.Meta().Str("name")!.ShouldStartWith("analysis-default-");
            var args = pod["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
            args.Take(4).ShouldBe(["worker", "tls://analysis-scheduler.default.svc:8786", "--nthreads", "2"]);
            args.ShouldContain("--token-file");
        }

        // A client with the Secret's client credentials computes on the workers.
        var scheduler = h.Kubelet.SchedulerOf("analysis")!;
        var secret = await h.Admin.CoreV1.ReadNamespacedSecretAsync("analysis-tls", "default");
        await using var client = await Client.ConnectAsync(scheduler.Address, new ClientOptions { Security = Shoal.Kubernetes.Operator.ClusterCredentials.Read(secret, Protocol.Messages.Role.Client) });
        var parts = client.Map(static (int x) => x * 2, Enumerable.Range(0, 200)).ToList();
        var total = client.Submit(static (int[] v) => v.Sum(), parts);
        (await total.ResultAsync().WaitAsync(Patience)).ShouldBe(39_800);

        // Up by the group's replicas (kubectl scale goes through the same field).
        await h.PatchSpecAsync("shoalworkergroups", "analysis-default", new { replicas = 4 });
        await h.GroupSettledAsync("analysis-default", 4);
        (await client.GetClusterInfoAsync()).Workers.Count.ShouldBe(4);

        // Down: the scheduler retires workers first; exactly their pods go; the pods left are the workers it kept, the results intact.
        var before = h.WorkerPods("analysis-default").Select(p => p.Meta().Str("name")!).ToHashSet();
        await h.PatchSpecAsync("shoalworkergroups", "analysis-default", new { replicas = 1 });
        await h.GroupSettledAsync("analysis-default", 1);
        var kept = (await client.GetClusterInfoAsync()).Workers.Select(w => w.Name).ShouldHaveSingleItem();
        h.WorkerPods("analysis-default").Select(p => p.Meta().Str("name")).ShouldBe([kept]);
        h.Api.DeletedPods.Order().ShouldBe(before.Where(n => n != kept).Order());
        h.Api.Requests.Count(r => r.Verb == "delete" && r.Resource == "pods").ShouldBe(3);
        (await total.ResultAsync().WaitAsync(Patience)).ShouldBe(39_800);
        (await client.GatherAsync(parts).WaitAsync(Patience)).Sum().ShouldBe(39_800);
        (await h.StatusAsync(Clusters, "analysis", s => s["workers"]?.GetValue<int>() == 1, "the cluster counts 1 worker"))["status"].Str("phase").ShouldBe("Running");

        // Deleting the cluster removes everything it owns (the garbage collector follows the owner references).
        await client.DisposeAsync();
        await h.Admin.CustomObjects.DeleteNamespacedCustomObjectAsync("shoal.dev", "v1alpha1", "default", "shoalclusters", "analysis");
        await h.Api.SettledAsync();
        h.Api.Store.All().Where(o => o.Resource != "customresourcedefinitions.apiextensions.k8s.io").ShouldBeEmpty();
        await Eventually.HoldsAsync(() => h.Kubelet.SchedulerOf("analysis") is null, Patience, "the scheduler pod stopped");

        // It asked for nothing deploy/operator/rbac.yaml does not grant.
        await h.StopOperatorAsync();
        var granted = await GrantedAsync();
        var asked = h.Api.Requests.Where(r => r.User == "shoal-operator").Select(r => (r.RbacResource, r.Verb)).ToHashSet();
        asked.Except(granted).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_deleted_worker_pod_is_replaced_after_a_lost_watch_is_listed_again_from_410_Gone()
    {
        // No resync during the test: only the watches can tell the operator.
        await using var h = await OperatorHarness.StartAsync(resync: TimeSpan.FromMinutes(10));
        await h.CreateAsync("shoalclusters", Cluster("lost", workers: 2));
        await h.GroupSettledAsync("lost-default", 2);
        var lists = h.Operator!.ListCounts.Select(c => c()).ToList();

        // The watches break and cannot be reopened for a while (an API server restart); meanwhile a worker pod is deleted and the history compacted.
        bool down = true;
        h.Api.Fail(r => r.Verb == "watch" && Volatile.Read(ref down), new FakeKubeError(503, "ServiceUnavailable", "the server is currently unable to handle the request"), times: 10_000);
        h.Api.Store.DropWatches();
        // Nothing left in flight: from here only a watch (down) or a list can make the operator look at the group again.
        await Eventually.HoldsAsync(() => h.Operator!.Idle, Patience, "the operator idle");
        var victim = h.WorkerPods("lost-default")[0].Meta().Str("name")!;
        await h.Admin.CoreV1.DeleteNamespacedPodAsync(victim, "default");
        h.Api.Store.Compact();
        Volatile.Write(ref down, false);

        // Resuming from the old version is 410 Gone: the operator lists again, sees the pod missing, and makes another.
        await h.GroupSettledAsync("lost-default", 2);
        h.WorkerPods("lost-default").Select(p => p.Meta().Str("name")).ShouldNotContain(victim);
        // Whichever watch came back first met 410 Gone and listed again, and a list wakes every object it holds: the group saw its pod missing.
        // (The other watches may still be waiting out their back-off.)
        h.Operator.ListCounts.Sum(c => c()).ShouldBeGreaterThan(lists.Sum());
        h.Log.Lines.ShouldContain(l => l.Contains("410 Gone", StringComparison.Ordinal));
        h.Api.Requests.Count(r => r.User == "shoal-operator" && r.Verb == "create" && r.Resource == "pods").ShouldBe(3);
        await using var client = await ConnectAsync(h, "lost");
        (await client.GetClusterInfoAsync()).Workers.Count.ShouldBe(2);
    }

    [Fact]
    public async Task The_operator_restarted_mid_scale_makes_only_the_pods_still_missing()
    {
        await using var h = await OperatorHarness.StartAsync();
        await h.CreateAsync("shoalclusters", Cluster("restart", workers: 1));
        await h.GroupSettledAsync("restart-default", 1);

        // Scaling to 5, the API server refuses pod creates after the second: the operator dies in the middle.
        int creates = 0;
        bool refusing = true;
        h.Api.Fail(r => r.Verb == "create" && r.Resource == "pods" && Volatile.Read(ref refusing) && Interlocked.Increment(ref creates) > 2,
            new FakeKubeError(500, "InternalError", "etcdserver: request timed out"), times: 10_000);
        await h.PatchSpecAsync("shoalworkergroups", "restart-default", new { replicas = 5 });
        await Eventually.HoldsAsync(() => Volatile.Read(ref creates) > 2, Patience, "the third pod create refused");
        await h.StopOperatorAsync();
        await h.Api.SettledAsync();
        h.WorkerPods("restart-default").Count.ShouldBe(3);

        // A new operator reads the world afresh: it makes exactly the 2 pods missing, however many it meant to make before.
        Volatile.Write(ref refusing, false);
        var made = h.Api.Requests.Count(r => r.Verb == "create" && r.Resource == "pods" && r.User == "shoal-operator");
        h.StartOperator();
        await h.GroupSettledAsync("restart-default", 5);
        (h.Api.Requests.Count(r => r.Verb == "create" && r.Resource == "pods" && r.User == "shoal-operator") - made).ShouldBe(2);
        h.Api.DeletedPods.ShouldBeEmpty();
        await using var client = await ConnectAsync(h, "restart");
        (await client.GetClusterInfoAsync()).Workers.Count.ShouldBe(5);
    }

    [Fact]
    public async Task Bad_specs_are_refused_by_the_schema_or_marked_in_status_and_nothing_is_made_for_them()
    {
        await using var h = await OperatorHarness.StartAsync();
        // The CRD's schema refuses what it can see: no image, a service type that does not exist, negative replicas.
        var noImage = Cluster("bad", 1);
        noImage["spec"]!.AsObject().Remove("image");
        (await Should.ThrowAsync<k8s.Autorest.HttpOperationException>(() => h.CreateAsync("shoalclusters", noImage))).Response.Content.ShouldContain("spec.image: Required value");
        (await Should.ThrowAsync<k8s.Autorest.HttpOperationException>(() => h.CreateAsync("shoalclusters", Cluster("bad", 1, serviceType: "Ingress"))))
            .Response.Content.ShouldContain("spec.scheduler.serviceType: Unsupported value");
        (await Should.ThrowAsync<k8s.Autorest.HttpOperationException>(() => h.CreateAsync("shoalclusters", Cluster("bad", -1)))).Response.Content.ShouldContain("spec.workers.replicas");

        // The operator marks what only it can judge: a group of a cluster that does not exist, an autoscaler whose bounds cross.
        await h.CreateAsync("shoalworkergroups", new JsonObject
        {
            ["apiVersion"] = "shoal.dev/v1alpha1", ["kind"] = "ShoalWorkerGroup", ["metadata"] = new JsonObject { ["name"] = "orphans" },
            ["spec"] = new JsonObject { ["cluster"] = "nowhere", ["replicas"] = 2 },
        });
        await h.CreateAsync("shoalautoscalers", new JsonObject
        {
            ["apiVersion"] = "shoal.dev/v1alpha1", ["kind"] = "ShoalAutoscaler", ["metadata"] = new JsonObject { ["name"] = "crossed" },
            ["spec"] = new JsonObject { ["cluster"] = "nowhere", ["minimum"] = 5, ["maximum"] = 2 },
        });
        var group = await h.StatusAsync(Groups, "orphans", s => s["conditions"] is not null, "the group's condition");
        Condition(group, "Ready").ShouldBe(("False", "ClusterMissing"));
        var autoscaler = await h.StatusAsync(Autoscalers, "crossed", s => s["conditions"] is not null, "the autoscaler's condition");
        Condition(autoscaler, "Active").ShouldBe(("False", "InvalidSpec"));
        await h.Api.SettledAsync();
        h.Api.Objects("pods").ShouldBeEmpty();
        h.Api.Store.All().Select(o => o.Resource).Distinct().Order().ShouldBe(["customresourcedefinitions.apiextensions.k8s.io", Autoscalers, Groups]);
    }

    internal static (string?, string?) Condition(JsonObject o, string type) =>
        o["status"]!["conditions"]!.AsArray().Where(c => c.Str("type") == type).Select(c => (c.Str("status"), c.Str("reason"))).Single();

    internal static async Task<Client> ConnectAsync(OperatorHarness h, string cluster)
    {
        var secret = await h.Admin.CoreV1.ReadNamespacedSecretAsync($"{cluster}-tls", "default");
        return await Client.ConnectAsync(h.Kubelet.SchedulerOf(cluster)!.Address,
            new ClientOptions { Security = Shoal.Kubernetes.Operator.ClusterCredentials.Read(secret, Protocol.Messages.Role.Client) });
    }

    /// <summary>(resource, verb) pairs the operator's ClusterRole grants.</summary>
    internal static async Task<HashSet<(string, string)>> GrantedAsync()
    {
        var objects = KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(Path.Combine(Shoal.Tests.Deploy.Podman.RepositoryRoot, "deploy/operator/rbac.yaml")));
        var role = objects.OfType<V1ClusterRole>().Single();
        return role.Rules.SelectMany(rule => rule.Resources.SelectMany(res => rule.Verbs.Select(v => (res, v)))).ToHashSet();
    }
}

using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Shoal.Tests.Kubernetes.Fake;

namespace Shoal.Tests.Kubernetes;

/// <summary>The fake API server answers KubernetesClient, unchanged, as a real one would.</summary>
public sealed class FakeKubeApiTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    internal static V1Deployment Deployment(string name, int replicas) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "worker", Image = "localhost/shoal:test" }] },
            },
        },
    };

    [Fact]
    public async Task A_deployment_gets_its_pods_the_scale_subresource_changes_them_and_a_stale_resource_version_is_a_409()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var k = new k8s.Kubernetes(api.Configuration());
        var made = await k.AppsV1.CreateNamespacedDeploymentAsync(Deployment("w", 3), "default");
        made.Metadata.Uid.ShouldNotBeNullOrEmpty();
        await api.SettledAsync();
        var pods = await k.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=w");
        pods.Items.Count.ShouldBe(3);
        pods.Items.ShouldAllBe(p => p.Metadata.Name.StartsWith("w-", StringComparison.Ordinal) && p.Metadata.OwnerReferences[0].Uid == made.Metadata.Uid);

        var scale = await k.AppsV1.ReadNamespacedDeploymentScaleAsync("w", "default");
        scale.Spec.Replicas.ShouldBe(3);
        scale.Status.Selector.ShouldBe("app=w");
        await k.AppsV1.ReplaceNamespacedDeploymentScaleAsync(new V1Scale { Metadata = scale.Metadata, Spec = new V1ScaleSpec { Replicas = 1 } }, "w", "default");
        // The same (now stale) resource version again: the write is refused, nothing changes.
        var conflict = await Should.ThrowAsync<HttpOperationException>(() =>
            k.AppsV1.ReplaceNamespacedDeploymentScaleAsync(new V1Scale { Metadata = scale.Metadata, Spec = new V1ScaleSpec { Replicas = 5 } }, "w", "default"));
        conflict.Response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        await api.SettledAsync();
        (await k.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=w")).Items.Count.ShouldBe(1);
        (await k.AppsV1.ReadNamespacedDeploymentAsync("w", "default")).Status.ReadyReplicas.ShouldBe(1);

        // Deleting the deployment collects its pods (owner references).
        await k.AppsV1.DeleteNamespacedDeploymentAsync("w", "default");
        await api.SettledAsync();
        api.Objects("pods").ShouldBeEmpty();
        api.DeletedPods.Count.ShouldBe(3);
    }

    [Fact]
    public async Task Bad_requests_get_the_real_servers_status_codes_and_change_nothing()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var k = new k8s.Kubernetes(api.Configuration());
        async Task<HttpStatusCode> Code(Func<Task> call) => (await Should.ThrowAsync<HttpOperationException>(call)).Response.StatusCode;

        (await Code(() => k.CoreV1.ReadNamespacedPodAsync("nope", "default"))).ShouldBe(HttpStatusCode.NotFound);
        (await Code(() => k.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "Bad_Name" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] } }, "default")))
            .ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await Code(() => k.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [] } }, "default")))
            .ShouldBe(HttpStatusCode.UnprocessableEntity);
        var broken = Deployment("d", 1);
        broken.Spec.Template.Metadata.Labels["app"] = "other";
        (await Code(() => k.AppsV1.CreateNamespacedDeploymentAsync(broken, "default"))).ShouldBe(HttpStatusCode.UnprocessableEntity);
        await k.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, StringData = null, Data = new Dictionary<string, byte[]> { ["k"] = [1, 2] } }, "default");
        (await Code(() => k.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "default"))).ShouldBe(HttpStatusCode.Conflict);
        (await Code(() => k.CustomObjects.ListNamespacedCustomObjectAsync("kubernetes.shoal.dev", "v1", "default", "shoalclusters"))).ShouldBe(HttpStatusCode.NotFound);

        using var stranger = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url, AccessToken = "wrong" });
        (await Code(() => stranger.CoreV1.ListNamespacedPodAsync("default"))).ShouldBe(HttpStatusCode.Unauthorized);

        api.Fail(r => r.Verb == "create" && r.Resource == "pods", new FakeKubeError(403, "Forbidden", "pods \"p\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=10, limited: pods=10"));
        (await Code(() => k.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] } }, "default")))
            .ShouldBe(HttpStatusCode.Forbidden);
        api.Objects("pods").ShouldBeEmpty();
        api.Objects("secrets").Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_watch_resumes_from_a_resource_version_gets_bookmarks_and_gets_410_Gone_after_compaction()
    {
        await using var api = await FakeKubeApi.StartAsync(new ScriptedKubelet(p => p.Name.EndsWith("stuck", StringComparison.Ordinal) ? FakePodOutcome.Unschedulable : FakePodOutcome.CrashLoopBackOff));
        api.BookmarkInterval = TimeSpan.FromMilliseconds(100);
        using var k = new k8s.Kubernetes(api.Configuration());
        var list = await k.CoreV1.ListNamespacedPodAsync("default");
        var from = list.Metadata.ResourceVersion;
        foreach (var name in new[] { "a-stuck", "b-crash" })
            await k.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] } }, "default");

        using var cts = new CancellationTokenSource(Patience);
        var seen = new List<(WatchEventType, string)>();
        V1Pod? crashing = null, stuck = null;
        bool bookmark = false;
        await foreach (var (type, pod) in k.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: from, allowWatchBookmarks: true, cancellationToken: cts.Token))
        {
            if (type == WatchEventType.Bookmark)
            {
                bookmark = true;
            }
            else
            {
                seen.Add((type, pod.Metadata.Name));
                if (pod.Status?.ContainerStatuses?[0].State?.Waiting?.Reason == "CrashLoopBackOff") crashing = pod;
                if (pod.Status?.Conditions?.Any(c => c.Reason == "Unschedulable") == true) stuck = pod;
            }

            if (bookmark && crashing is not null && stuck is not null) break;
        }

        // Replayed from the resource version, in order: both creations, each followed by its kubelet's status updates.
        seen.Where(e => e.Item1 == WatchEventType.Added).ShouldBe([(WatchEventType.Added, "a-stuck"), (WatchEventType.Added, "b-crash")]);
        seen.ShouldContain((WatchEventType.Modified, "b-crash"));
        crashing!.Status.Phase.ShouldBe("Running");
        crashing.Status.ContainerStatuses[0].RestartCount.ShouldBe(5);
        stuck!.Status.Phase.ShouldBe("Pending");

        // After compaction, resuming from the old version is 410 Gone: the client must re-list.
        api.Store.Compact();
        // KubernetesClient hands the ERROR event's Status to onError, then the server ends the stream.
        Exception? error = null;
        int events = 0;
        await foreach (var _ in k.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: from, onError: e => error = e, cancellationToken: cts.Token))
            events++;
        events.ShouldBe(0);
        var gone = error.ShouldBeOfType<KubernetesException>();
        gone.Status.Code.ShouldBe(410);
    }

    [Fact]
    public async Task A_kubeconfig_file_naming_the_fake_is_read_by_KubernetesClient()
    {
        await using var api = await FakeKubeApi.StartAsync();
        var path = api.WriteKubeconfig("team-a");
        try
        {
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
            config.Namespace.ShouldBe("team-a");
            using var k = new k8s.Kubernetes(config);
            (await k.CoreV1.ListNamespacedPodAsync("team-a")).Items.ShouldBeEmpty();
        }
        finally
        {
            File.Delete(path);
        }
    }
}

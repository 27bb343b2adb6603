using k8s;
using k8s.Models;
using Shoal.Kubernetes;
using Shoal.Tests.Kubernetes.Fake;

namespace Shoal.Tests.Kubernetes;

/// <summary>KubeCluster against the fake API server, its worker pods run by real in-process workers that read what the pod gives them.</summary>
public sealed class KubeClusterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    internal const string WorkerSpec = """
        apiVersion: v1
        kind: Pod
        metadata:
          labels:
            team: analytics
        spec:
          containers:
            - name: worker
              image: localhost/shoal:test
              args: [--memory-target-fraction, "0.7"]
              resources:
                limits: {cpu: "1", memory: 2Gi}
        """;

    /// <summary>A worker pod template in a temporary file, deleted on disposal.</summary>
    private sealed class SpecFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"worker-spec-{Guid.NewGuid():N}.yaml");

        public static SpecFile Of(string text = WorkerSpec)
        {
            var file = new SpecFile();
            File.WriteAllText(file.Path, text);
            return file;
        }

        public void Dispose() => File.Delete(Path);
    }

    [Fact]
    public async Task From_a_pod_template_workers_are_pods_that_compute_scale_by_retirement_and_DisposeAsync_leaves_nothing()
    {
        await using var fake = await FakeKubeWithWorkers.StartAsync();
        var (api, kubernetes) = (fake.Api, fake.Kubernetes);
        using var spec = SpecFile.Of();
        // The cluster as its own user, so that its calls can be held against deploy/kubecluster/role.yaml.
        using var asCluster = new k8s.Kubernetes(api.AddUser("kubecluster"));
        var cluster = await KubeCluster.FromYamlAsync(spec.Path, new KubeClusterOptions { Kubernetes = asCluster, Workers = 2, Name = "analysis" });
        await using (cluster)
        {
            await using var client = await Client.ConnectAsync(cluster);
            var total = client.Submit(static (int[] v) => v.Sum(), client.Map(static (int x) => x * 2, Enumerable.Range(0, 1000)));
            (await total.ResultAsync().WaitAsync(Patience)).ShouldBe(999_000);

            // Each worker is a pod named as it, labelled, owned by the cluster's anchor, with Shoal's command line
            // (the template's args after it) and its TLS material mounted from the cluster's Secret.
            var anchor = await kubernetes.CoreV1.ReadNamespacedConfigMapAsync("analysis", "default");
            var pods = (await kubernetes.CoreV1.ListNamespacedPodAsync("default", labelSelector: "shoal.dev/cluster=analysis")).Items;
            pods.Select(p => p.Metadata.Name).Order().ShouldBe(["analysis-worker-1", "analysis-worker-2"]);
            foreach (var pod in pods)
            {
                pod.Metadata.Labels["team"].ShouldBe("analytics");
                pod.Metadata.OwnerReferences.ShouldHaveSingleItem().Uid.ShouldBe(anchor.Metadata.Uid);
                pod.Spec.RestartPolicy.ShouldBe("Never");
                var c = pod.Spec.Containers[0];
                c.Args.Take(2).ShouldBe(["worker", cluster.SchedulerAddress]);
                c.Args.ShouldContain("--tls-cert");
                c.Args.TakeLast(2).ShouldBe(["--memory-target-fraction", "0.7"]);
                c.Env.Single(e => e.Name == "SHOAL_WORKER_NAME").Value.ShouldBe(pod.Metadata.Name);
                c.Resources.Limits["memory"].ToString().ShouldBe("2Gi");
                pod.Spec.Volumes.Single(v => v.Name == "shoal-tls").Secret.DefaultMode.ShouldBe(292); // 0444: the template sets no fsGroup
            }

            // Each worker's time from requested to registered.
            cluster.StartupTimes.Keys.Order().ShouldBe(["analysis-worker-1", "analysis-worker-2"]);
            cluster.StartupTimes.Values.ShouldAllBe(t => t > TimeSpan.Zero && t < Patience);

            var secret = await kubernetes.CoreV1.ReadNamespacedSecretAsync("analysis-tls", "default");
            secret.Data.Keys.Order().ShouldBe(["ca.pem", "worker-key.pem", "worker.pem"]);

            // Up, then down by retirement: the pods left are exactly the workers the scheduler kept, the results intact.
            await cluster.ScaleAsync(4).WaitAsync(Patience);
            api.Objects("pods").Count.ShouldBe(4);
            await cluster.ScaleAsync(1).WaitAsync(Patience);
            var info = await client.GetClusterInfoAsync();
            api.Objects("pods").Select(p => p.Meta().Str("name")).ShouldBe(info.Workers.Select(w => w.Name));
            cluster.WorkerNames.ShouldBe(info.Workers.Select(w => w.Name));
            (await total.ResultAsync().WaitAsync(Patience)).ShouldBe(999_000);
            var logs = await cluster.GetLogsAsync();
            logs[cluster.WorkerNames[0]].ShouldContain(line => line.Contains("joined", StringComparison.Ordinal));
        }

        await api.SettledAsync();
        api.Store.All().ShouldBeEmpty();

        // It asked for exactly what the documented Role grants.
        var role = await KubernetesYaml.LoadFromFileAsync<V1Role>(Path.Combine(Shoal.Tests.Deploy.Podman.RepositoryRoot, "deploy/kubecluster/role.yaml"), strict: true);
        var granted = role.Rules.SelectMany(rule => rule.Resources.SelectMany(res => rule.Verbs.Select(v => (res, v)))).ToHashSet();
        api.Requests.Where(r => r.User == "kubecluster").Select(r => (r.RbacResource, r.Verb)).ToHashSet().ShouldBe(granted, ignoreOrder: true);
    }

    [Fact]
    public async Task When_the_client_s_pod_goes_the_garbage_collector_removes_the_whole_cluster_without_the_client()
    {
        await using var fake = await FakeKubeWithWorkers.StartAsync();
        var (api, kubernetes) = (fake.Api, fake.Kubernetes);
        using var spec = SpecFile.Of();
        // The notebook's pod (its kubelet fails it: it runs no worker, as a notebook whose process was killed).
        var notebook = await kubernetes.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "notebook" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "jupyter", Image = "localhost/notebook:1" }] },
        }, "default");
        var cluster = await KubeCluster.FromYamlAsync(spec.Path, new KubeClusterOptions
        {
            Kubernetes = kubernetes, Workers = 2, Name = "orphaned", OwnerPod = (notebook.Metadata.Name, notebook.Metadata.Uid),
        });
        await using (cluster)
        {
            var anchor = await kubernetes.CoreV1.ReadNamespacedConfigMapAsync("orphaned", "default");
            anchor.Metadata.OwnerReferences.ShouldHaveSingleItem().Uid.ShouldBe(notebook.Metadata.Uid);
            api.Objects("pods").Count.ShouldBe(3);

            // The client never tidies up (this process stands for one killed): deleting its pod is enough.
            await kubernetes.CoreV1.DeleteNamespacedPodAsync("notebook", "default");
            await api.SettledAsync();
            api.Store.All().ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task A_start_that_fails_half_way_removes_what_it_made()
    {
        await using var fake = await FakeKubeWithWorkers.StartAsync();
        var (api, kubernetes) = (fake.Api, fake.Kubernetes);
        using var spec = SpecFile.Of();
        // The second pod is refused by the namespace's quota: the first worker registers, the second never comes.
        int creates = 0;
        api.Fail(r => r.Verb == "create" && r.Resource == "pods" && Interlocked.Increment(ref creates) == 2,
            new FakeKubeError(403, "Forbidden", "pods \"x\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=1, limited: pods=1"));
        await Should.ThrowAsync<Exception>(() => KubeCluster.FromYamlAsync(spec.Path, new KubeClusterOptions
        {
            Kubernetes = kubernetes, Workers = 2, Name = "doomed", StartTimeout = TimeSpan.FromSeconds(3),
        }));
        await api.SettledAsync();
        api.Store.All().ShouldBeEmpty();
        api.Requests.Count(r => r.Verb == "create" && r.Resource == "pods").ShouldBe(2);
    }

    [Fact]
    public async Task Bad_templates_and_names_are_refused_before_anything_is_made()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var kubernetes = new k8s.Kubernetes(api.Configuration());
        var options = new KubeClusterOptions { Kubernetes = kubernetes };
        (await Should.ThrowAsync<ArgumentException>(() => KubeCluster.StartAsync(new V1Pod { Spec = new V1PodSpec { Containers = [] } }, options)))
            .Message.ShouldContain("needs a container with an image");
        var template = KubernetesYaml.Deserialize<V1Pod>(WorkerSpec);
        (await Should.ThrowAsync<ArgumentException>(() => KubeCluster.StartAsync(template, options with { Name = "Bad_Name" }))).Message.ShouldContain("lowercase");
        using (var broken = SpecFile.Of("apiVersion: v1\nkind: Pod\nspec:\n  containerz: []\n"))
            (await Should.ThrowAsync<ArgumentException>(() => KubeCluster.FromYamlAsync(broken.Path, options))).Message.ShouldContain("not a readable Pod manifest");

        (await Should.ThrowAsync<ArgumentException>(() => KubeCluster.FromYamlAsync("/nonexistent/worker-spec.yaml", options))).Message.ShouldContain("not a readable Pod manifest");
        api.Requests.ShouldBeEmpty();
    }
}

using k8s;
using Shoal.Kubernetes;

namespace Shoal.Tests.Kubernetes;

/// <summary>
/// KubeCluster on a real Kubernetes cluster, where one is configured: runs when KUBECONFIG is set
/// (and the Shoal image, SHOAL_TEST_IMAGE, default localhost/shoal:latest, is pullable there, and
/// SHOAL_TEST_SCHEDULER_HOST is an address of this machine its pods reach); reported as skipped,
/// saying so, otherwise. This machine has no cluster: here it is always skipped.
/// </summary>
public sealed class RealClusterTests
{
    [SkippableFact]
    public async Task KubeCluster_computes_on_a_real_cluster_and_leaves_no_pod()
    {
        var kubeconfig = Environment.GetEnvironmentVariable("KUBECONFIG");
        Skip.If(string.IsNullOrEmpty(kubeconfig), "did not run: KUBECONFIG is not set (no real Kubernetes cluster here)");
        var template = k8s.KubernetesYaml.Deserialize<k8s.Models.V1Pod>(KubeClusterTests.WorkerSpec.Replace("localhost/shoal:test",
            Environment.GetEnvironmentVariable("SHOAL_TEST_IMAGE") ?? "localhost/shoal:latest", StringComparison.Ordinal));
        var name = $"shoal-test-{Guid.NewGuid().ToString("N")[..6]}";
        var config = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        var ns = config.Namespace ?? "default";
        using var kubernetes = new k8s.Kubernetes(config);
        await using (var cluster = await KubeCluster.StartAsync(template, new KubeClusterOptions
        {
            Kubernetes = kubernetes, Namespace = ns, Name = name, Workers = 2, SchedulerHost = Environment.GetEnvironmentVariable("SHOAL_TEST_SCHEDULER_HOST"),
        }))
        {
            await using var client = await Client.ConnectAsync(cluster);
            var total = client.Submit(static (int[] v) => v.Sum(), client.Map(static (int x) => x + 1, Enumerable.Range(0, 100)));
            (await total.ResultAsync().WaitAsync(TimeSpan.FromMinutes(2))).ShouldBe(5050);
        }

        (await kubernetes.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"shoal.dev/cluster={name}")).Items.ShouldBeEmpty();
    }
}

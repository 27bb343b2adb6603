using k8s;
using k8s.Models;
using Shoal.Cli;
using Shoal.Tests.Kubernetes.Fake;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Kubernetes.Operator;

/// <summary><c>shoal operator</c> as it is run: a kubeconfig and a namespace; and bad input.</summary>
public sealed class OperatorCommandTests
{
    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string[] args, CancellationToken cancellationToken = default, StringWriter? stdout = null)
    {
        stdout ??= new StringWriter();
        var stderr = new StringWriter();
        var exit = await ShoalCommand.InvokeAsync(args, stdout, stderr, cancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Bad_input_gets_one_clear_line()
    {
        var (exit, _, stderr) = await RunAsync(["operator", "--kubeconfig", "/nonexistent/config"]);
        exit.ShouldBe(1);
        stderr.Trim().ShouldBe("shoal operator: no Kubernetes configuration: not in a pod, and no kubeconfig file at /nonexistent/config (set --kubeconfig or KUBECONFIG)");
        (exit, _, stderr) = await RunAsync(["operator", "--namespace"]);
        exit.ShouldBe(ShoalCommand.UsageError);
        stderr.ShouldContain("--namespace");
    }

    [Fact]
    public async Task It_reads_a_kubeconfig_and_reconciles_the_clusters_of_its_namespace_only()
    {
        await using var api = await FakeKubeApi.StartAsync();
        api.ImplicitNamespaces = true;
        using var admin = new k8s.Kubernetes(api.Configuration());
        foreach (var crd in KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(OperatorHarness.CrdPath)).Cast<V1CustomResourceDefinition>())
            await admin.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        foreach (var ns in new[] { "team-a", "team-b" })
            await admin.CustomObjects.CreateNamespacedCustomObjectAsync(OperatorHarness.Cluster("c", workers: 0), "shoal.dev", "v1alpha1", ns, "shoalclusters");
        var kubeconfig = api.WriteKubeconfig();
        using var stop = new CancellationTokenSource();
        var log = new StringWriter();
        try
        {
            var running = RunAsync(["operator", "--kubeconfig", kubeconfig, "--namespace", "team-a"], stop.Token, log);
            // The scheduler's objects appear in team-a (no real scheduler runs here: the cluster stays Pending, as it says).
            await Eventually.HoldsAsync(() => api.Store.Get("deployments.apps", "team-a", "c-scheduler") is not null && api.Store.Get("services", "team-a", "c-scheduler") is not null
                && api.Store.Get("shoalclusters.shoal.dev", "team-a", "c")?["status"].Str("phase") == "Pending", OperatorHarness.Patience, "team-a's cluster reconciled");
            await stop.CancelAsync();
            var (exit, stdout, stderr) = await running.WaitAsync(OperatorHarness.Patience);
            exit.ShouldBe(0, stderr);
            stdout.ShouldContain("Shoal operator watching team-a");
            api.Store.Get("deployments.apps", "team-b", "c-scheduler").ShouldBeNull();
            api.Store.Get("shoalclusters.shoal.dev", "team-b", "c")!["status"].ShouldBeNull();
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }
}

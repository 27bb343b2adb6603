using k8s.Models;

namespace Shoal.Tests.Deploy;

/// <summary>deploy/helm/shoal rendered by tools/helm-render (Go text/template + sprig) and checked object by object.</summary>
public sealed class HelmChartTests
{
    [Fact]
    public async Task The_default_render_is_a_scheduler_and_its_service_workers_disruption_budgets_and_network_policies_in_typed_models()
    {
        var m = await HelmRender.ObjectsAsync();
        m.Kinds.Order().ShouldBe(new[]
        {
            "Deployment/shoal-scheduler", "Deployment/shoal-worker", "NetworkPolicy/shoal-scheduler", "NetworkPolicy/shoal-worker",
            "PodDisruptionBudget/shoal-scheduler", "PodDisruptionBudget/shoal-worker", "Service/shoal-scheduler",
        }.Order());

        var service = m.One<V1Service>("shoal-scheduler");
        service.Spec.Type.ShouldBe("ClusterIP");
        service.Spec.Ports.Select(p => (p.Name, p.Port, p.TargetPort.Value)).ShouldBe([("tcp-comm", 8786, "tcp-comm"), ("http-dashboard", 8787, "http-dashboard")]);

        var scheduler = m.One<V1Deployment>("shoal-scheduler");
        scheduler.Spec.Replicas.ShouldBe(1);
        scheduler.Spec.Strategy.Type.ShouldBe("Recreate");
        service.Spec.Selector.ShouldBe(scheduler.Spec.Template.Metadata.Labels);
        var s = scheduler.Spec.Template.Spec.Containers.ShouldHaveSingleItem();
        s.Image.ShouldBe("localhost/shoal:0.1.0");
        s.Args.ShouldBe(["scheduler", "--host", "0.0.0.0", "--port", "8786", "--insecure"]);
        s.Ports.Select(p => (p.Name, p.ContainerPort)).ShouldBe([("tcp-comm", 8786), ("http-dashboard", 8787)]);
        s.ReadinessProbe.TcpSocket.Port.Value.ShouldBe("tcp-comm");
        s.LivenessProbe.TcpSocket.Port.Value.ShouldBe("tcp-comm");
        s.SecurityContext.AllowPrivilegeEscalation.ShouldBe(false);
        s.SecurityContext.Capabilities.Drop.ShouldBe(["ALL"]);
        scheduler.Spec.Template.Spec.SecurityContext.RunAsNonRoot.ShouldBe(true);
        scheduler.Spec.Template.Spec.SecurityContext.RunAsUser.ShouldBe(1654);

        var workers = m.One<V1Deployment>("shoal-worker");
        workers.Spec.Replicas.ShouldBe(3);
        var w = workers.Spec.Template.Spec.Containers.ShouldHaveSingleItem();
        w.Args.ShouldBe(["worker", "tcp://shoal-scheduler:8786", "--nthreads", "1", "--death-timeout", "60s", "--insecure"]);
        var name = w.Env.ShouldHaveSingleItem();
        (name.Name, name.ValueFrom.FieldRef.FieldPath).ShouldBe(("SHOAL_WORKER_NAME", "metadata.name"));
        workers.Spec.Template.Spec.Volumes.ShouldBeNull();

        m.One<V1PodDisruptionBudget>("shoal-scheduler").Spec.MinAvailable.Value.ShouldBe("1");
        m.One<V1PodDisruptionBudget>("shoal-worker").Spec.MaxUnavailable.Value.ShouldBe("1");

        // Only the release's own pods reach the scheduler, on its two ports; the workers likewise.
        var policy = m.One<V1NetworkPolicy>("shoal-scheduler");
        policy.Spec.PodSelector.MatchLabels.ShouldBe(scheduler.Spec.Selector.MatchLabels);
        policy.Spec.PolicyTypes.ShouldBe(["Ingress"]);
        var rule = policy.Spec.Ingress.ShouldHaveSingleItem();
        rule.FromProperty.ShouldHaveSingleItem().PodSelector.MatchLabels.ShouldBe(new Dictionary<string, string>
        {
            ["app.kubernetes.io/name"] = "shoal", ["app.kubernetes.io/instance"] = "shoal",
        });
        rule.Ports.Select(p => p.Port.Value).ShouldBe(["8786", "8787"]);
        m.One<V1NetworkPolicy>("shoal-worker").Spec.PodSelector.MatchLabels.ShouldBe(workers.Spec.Selector.MatchLabels);
    }

    [Fact]
    public async Task Values_reach_the_objects_tls_from_a_secret_resources_placement_ingress_monitors_and_named_clients()
    {
        var values = Path.GetTempFileName();
        await File.WriteAllTextAsync(values, """
            worker:
              resources: {limits: {cpu: "2", memory: 4Gi}, requests: {cpu: "1", memory: 4Gi}}
              nodeSelector: {pool: compute}
              tolerations: [{key: dedicated, operator: Equal, value: shoal, effect: NoSchedule}]
              affinity:
                podAntiAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                    - weight: 10
                      podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app.kubernetes.io/component: worker}}}
              metrics: {enabled: true, podMonitor: {enabled: true}}
            scheduler:
              serviceType: LoadBalancer
              metrics: {enabled: true, serviceMonitor: {enabled: true, interval: 15s}}
            networkPolicy:
              allowedClients:
                - podSelector: {matchLabels: {role: shoal-client}}
                - namespaceSelector: {matchLabels: {team: analytics}}
            """);
        try
        {
            var m = await HelmRender.ObjectsAsync("-f", values, "--set", "tls.enabled=true,tls.secretName=shoal-tls",
                "--set", "webUI.ingress.enabled=true", "--set", "webUI.ingress.hostname=shoal.example.org", "--set", "worker.replicas=7", "--name", "prod");

            var scheduler = m.One<V1Deployment>("prod-shoal-scheduler").Spec.Template.Spec;
            scheduler.Containers[0].Args.ShouldBe(["scheduler", "--host", "0.0.0.0", "--port", "8786",
                "--tls-ca-file", "/etc/shoal/tls/ca.pem", "--tls-cert", "/etc/shoal/tls/scheduler.pem", "--tls-key", "/etc/shoal/tls/scheduler-key.pem"]);
            scheduler.Volumes.ShouldHaveSingleItem().Secret.SecretName.ShouldBe("shoal-tls");
            scheduler.Containers[0].VolumeMounts.ShouldHaveSingleItem().MountPath.ShouldBe("/etc/shoal/tls");

            var workers = m.One<V1Deployment>("prod-shoal-worker");
            workers.Spec.Replicas.ShouldBe(7);
            var pod = workers.Spec.Template.Spec;
            pod.Containers[0].Args.ShouldContain("tls://prod-shoal-scheduler:8786");
            pod.Containers[0].Args.ShouldContain("/etc/shoal/tls/worker-key.pem");
            pod.Containers[0].Resources.Limits["memory"].ToString().ShouldBe("4Gi");
            pod.Containers[0].Resources.Requests["cpu"].ToString().ShouldBe("1");
            pod.NodeSelector.ShouldBe(new Dictionary<string, string> { ["pool"] = "compute" });
            pod.Tolerations.ShouldHaveSingleItem().Key.ShouldBe("dedicated");
            pod.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution.ShouldHaveSingleItem().Weight.ShouldBe(10);

            m.One<V1Service>("prod-shoal-scheduler").Spec.Type.ShouldBe("LoadBalancer");
            var ingress = m.One<V1Ingress>("prod-shoal-webui");
            var path = ingress.Spec.Rules.ShouldHaveSingleItem().Http.Paths.ShouldHaveSingleItem();
            (path.Backend.Service.Name, path.Backend.Service.Port.Name).ShouldBe(("prod-shoal-scheduler", "http-dashboard"));

            var clients = m.One<V1NetworkPolicy>("prod-shoal-scheduler").Spec.Ingress.ShouldHaveSingleItem().FromProperty;
            clients.Count.ShouldBe(3);
            clients[1].PodSelector.MatchLabels["role"].ShouldBe("shoal-client");
            clients[2].NamespaceSelector.MatchLabels["team"].ShouldBe("analytics");
            m.One<V1NetworkPolicy>("prod-shoal-worker").Spec.Ingress.ShouldHaveSingleItem().FromProperty.Count.ShouldBe(3);

            m.Monitors.Select(x => x["kind"]).Order().ShouldBe(["PodMonitor", "ServiceMonitor"]);
        }
        finally
        {
            File.Delete(values);
        }
    }

    [Theory]
    [InlineData(new[] { "--set", "tls.enabled=true" }, 1, "tls.secretName is required when tls.enabled")]
    [InlineData(new[] { "--set", "worker.replicas" }, 1, "expected key=value")]
    [InlineData(new[] { "--bogus" }, 2, "unknown flag \"--bogus\"")]
    [InlineData(new[] { "-f", "/nonexistent/values.yaml" }, 1, "/nonexistent/values.yaml")]
    public async Task Bad_input_is_a_clear_error_and_prints_no_manifests(string[] args, int code, string message)
    {
        var (exit, output) = await Podman.TryRunAsync(HelmRender.Tool, [HelmRender.Chart, .. args], TimeSpan.FromMinutes(2));
        exit.ShouldBe(code, output);
        output.ShouldContain(message);
        output.ShouldNotContain("kind:");
    }

    [Fact]
    public async Task The_kustomize_base_is_the_charts_default_objects()
    {
        var kustomized = await Podman.RunAsync("kubectl", ["kustomize", Path.Combine(Podman.RepositoryRoot, "deploy/kustomize/base")], TimeSpan.FromMinutes(1));
        var fromBase = Manifests.Load(kustomized);
        var fromChart = await HelmRender.ObjectsAsync("--name", "shoal");
        fromBase.Kinds.Order().ShouldBe(fromChart.Kinds.Order(), "run deploy/kustomize/regenerate after changing the chart");
        foreach (var (a, b) in fromBase.Typed.OrderBy(Key).Zip(fromChart.Typed.OrderBy(Key)))
        {
            // Kustomize sorts map keys; equal objects, whatever the order of their fields.
            var (left, right) = (System.Text.Json.Nodes.JsonNode.Parse(k8s.KubernetesJson.Serialize(a)), System.Text.Json.Nodes.JsonNode.Parse(k8s.KubernetesJson.Serialize(b)));
            System.Text.Json.Nodes.JsonNode.DeepEquals(left, right).ShouldBeTrue($"{Key(a)} differs: run deploy/kustomize/regenerate after changing the chart");
        }

        static string Key(object o) => $"{((k8s.IKubernetesObject<V1ObjectMeta>)o).Kind}/{((k8s.IKubernetesObject<V1ObjectMeta>)o).Metadata.Name}";
    }
}

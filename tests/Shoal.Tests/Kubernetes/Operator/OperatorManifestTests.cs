using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Shoal.Kubernetes.Operator;
using Shoal.Tests.Kubernetes.Fake;

namespace Shoal.Tests.Kubernetes.Operator;

/// <summary>deploy/operator: its manifests load as the objects they say they are, and the CRDs' schemas cover every field the operator's C# types use.</summary>
public sealed class OperatorManifestTests
{
    private static readonly V1ResourceRequirements Resources = new() { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("2Gi") } };

    private static ShoalWorkerSpec Workers => new() { Replicas = 2, Threads = 2, Image = "i", Args = ["--memory-target-fraction", "0.7"], Resources = Resources };

    private static ShoalClusterSpec ClusterSpec => new()
    {
        Image = "localhost/shoal:1", Scheduler = new ShoalSchedulerSpec { ServiceType = "LoadBalancer", IdleTimeout = "1h", Resources = Resources }, Workers = Workers,
    };

    private static readonly List<V1Condition> Conditions = [new() { Type = "Ready", Status = "True", Reason = "R", Message = "m", ObservedGeneration = 3, LastTransitionTime = DateTime.UtcNow }];

    /// <summary>Every field of every type set, as the operator and users write them.</summary>
    public static TheoryData<string, string> FullObjects() => new()
    {
        { "ShoalCluster", KubernetesJson.Serialize(new ShoalCluster
            {
                Metadata = new V1ObjectMeta { Name = "c" }, Spec = ClusterSpec,
                Status = new ShoalClusterStatus { Phase = "Running", SchedulerAddress = "tls://x:8786", DashboardAddress = "https://x:8787/", Workers = 2, ObservedGeneration = 1, Conditions = Conditions },
            }) },
        { "ShoalWorkerGroup", KubernetesJson.Serialize(new ShoalWorkerGroup
            {
                Metadata = new V1ObjectMeta { Name = "g" },
                Spec = new ShoalWorkerGroupSpec { Cluster = "c", Replicas = 2, Threads = 1, Image = "i", Args = ["a"], Resources = Resources },
                Status = new ShoalWorkerGroupStatus { Replicas = 2, Workers = 2, Selector = "a=b", ObservedGeneration = 1, Conditions = Conditions },
            }) },
        { "ShoalJob", KubernetesJson.Serialize(new ShoalJob
            {
                Metadata = new V1ObjectMeta { Name = "j" },
                Spec = new ShoalJobSpec { Cluster = ClusterSpec, Runner = new ShoalJobRunner { Image = "r", Command = ["dotnet"], Args = ["x.dll"], Env = [new V1EnvVar { Name = "A", Value = "1" }] } },
                Status = new ShoalJobStatus { Phase = "Running", Cluster = "j", StartTime = DateTime.UtcNow, CompletionTime = DateTime.UtcNow, Conditions = Conditions },
            }) },
        { "ShoalAutoscaler", KubernetesJson.Serialize(new ShoalAutoscaler
            {
                Metadata = new V1ObjectMeta { Name = "a" },
                Spec = new ShoalAutoscalerSpec { Cluster = "c", WorkerGroup = "c-default", Minimum = 1, Maximum = 5, IntervalSeconds = 5, WaitCount = 3 },
                Status = new ShoalAutoscalerStatus { Target = 3, Desired = 3, LastScaleTime = DateTime.UtcNow, Conditions = Conditions },
            }) },
    };

    [Theory]
    [MemberData(nameof(FullObjects))]
    public async Task The_CRD_schema_keeps_every_field_the_operator_types_serialize(string kind, string json)
    {
        var crd = (await Definitions()).Single(d => d.Spec.Names.Kind == kind);
        var schema = JsonNode.Parse(KubernetesJson.Serialize(crd.Spec.Versions.Single().Schema.OpenAPIV3Schema))!.AsObject();
        var original = JsonNode.Parse(json)!.AsObject();
        var pruned = (JsonObject)original.DeepClone();
        FakeKubeSchema.Apply(pruned, schema).ShouldBeNull();
        // The API server would drop anything the schema does not name: nothing may be dropped.
        JsonNode.DeepEquals(pruned, original).ShouldBeTrue($"{kind}: the schema prunes {original.ToJsonString()} to {pruned.ToJsonString()}");
    }

    [Fact]
    public async Task The_CRDs_name_the_operator_s_kinds_with_status_printer_columns_that_exist_and_the_worker_group_scales()
    {
        var crds = await Definitions();
        crds.Select(c => (c.Spec.Names.Kind, c.Spec.Names.Plural, c.Metadata.Name)).ShouldBe(
            ShoalResources.All.Select(k => (k.Kind, k.Plural, $"{k.Plural}.{ShoalResources.Group}")), ignoreOrder: true);
        foreach (var crd in crds)
        {
            var version = crd.Spec.Versions.ShouldHaveSingleItem();
            (crd.Spec.Group, version.Name, version.Served, version.Storage).ShouldBe((ShoalResources.Group, ShoalResources.Version, true, true));
            version.Subresources.Status.ShouldNotBeNull();
            var schema = JsonNode.Parse(KubernetesJson.Serialize(version.Schema.OpenAPIV3Schema))!;
            foreach (var column in version.AdditionalPrinterColumns.Where(c => !c.JsonPath.StartsWith(".metadata", StringComparison.Ordinal)))
            {
                var node = column.JsonPath.Trim('.').Split('.').Aggregate<string, JsonNode?>(schema, (n, part) => n?["properties"]?[part]);
                node.ShouldNotBeNull($"{crd.Spec.Names.Kind} column {column.Name}: {column.JsonPath} is not in the schema");
                node.Str("type").ShouldBe(column.Type == "date" ? "string" : column.Type, $"{crd.Spec.Names.Kind} column {column.Name}");
            }
        }

        var scale = crds.Single(c => c.Spec.Names.Kind == "ShoalWorkerGroup").Spec.Versions[0].Subresources.Scale;
        (scale.SpecReplicasPath, scale.StatusReplicasPath, scale.LabelSelectorPath).ShouldBe((".spec.replicas", ".status.replicas", ".status.selector"));
    }

    [Fact]
    public async Task The_RBAC_and_Deployment_load_and_run_the_operator_as_its_service_account()
    {
        var root = Path.Combine(Shoal.Tests.Deploy.Podman.RepositoryRoot, "deploy/operator");
        var rbac = KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(Path.Combine(root, "rbac.yaml")), strict: true);
        var account = rbac.OfType<V1ServiceAccount>().Single();
        var binding = rbac.OfType<V1ClusterRoleBinding>().Single();
        binding.RoleRef.Name.ShouldBe(rbac.OfType<V1ClusterRole>().Single().Metadata.Name);
        binding.Subjects.Single().Name.ShouldBe(account.Metadata.Name);
        var deployment = KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(Path.Combine(root, "deployment.yaml")), strict: true).OfType<V1Deployment>().Single();
        deployment.Spec.Template.Spec.ServiceAccountName.ShouldBe(account.Metadata.Name);
        deployment.Metadata.NamespaceProperty.ShouldBe(account.Metadata.NamespaceProperty);
        deployment.Spec.Template.Spec.Containers[0].Args.ShouldBe(["operator"]);
    }

    private static async Task<List<V1CustomResourceDefinition>> Definitions() =>
        [.. KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(OperatorHarness.CrdPath), strict: true).Cast<V1CustomResourceDefinition>()];
}

namespace Shoal.Tests.Kubernetes.Fake;

/// <summary>A kind of object the fake API server serves: where it lives in the URL space and what it is called.</summary>
/// <param name="Group">API group ("" for the core group under /api).</param>
/// <param name="Version">API version.</param>
/// <param name="Plural">The resource name in URLs.</param>
/// <param name="Kind">The kind, as objects say it.</param>
/// <param name="Namespaced">True for namespaced resources.</param>
/// <param name="HasStatus">True when it has a status subresource (a PUT of the object keeps the stored status).</param>
internal sealed record FakeKubeResource(string Group, string Version, string Plural, string Kind, bool Namespaced = true, bool HasStatus = false)
{
    /// <summary>A custom resource's structural schema (openAPIV3Schema): what is pruned and checked on every write. Null for built-in kinds.</summary>
    public System.Text.Json.Nodes.JsonObject? Schema { get; init; }

    /// <summary>The resource a CustomResourceDefinition object (as stored) declares: its storage version, scope, status subresource and schema.</summary>
    public static FakeKubeResource FromDefinition(System.Text.Json.Nodes.JsonObject crd)
    {
        var spec = crd["spec"]!;
        var version = spec["versions"]!.AsArray().First(v => v?["storage"]?.GetValue<bool>() == true)!;
        return new FakeKubeResource(spec.Str("group")!, version.Str("name")!, spec["names"].Str("plural")!, spec["names"].Str("kind")!,
            Namespaced: spec.Str("scope") != "Cluster", HasStatus: version["subresources"]?["status"] is not null)
        {
            Schema = version["schema"]?["openAPIV3Schema"]?.DeepClone() as System.Text.Json.Nodes.JsonObject,
        };
    }

    /// <summary>The store's key: the group and the plural (one version per resource in the fake).</summary>
    public string Key => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>What a fresh API server with the built-in APIs serves (the ones Shoal's managers call).</summary>
    public static IEnumerable<FakeKubeResource> BuiltIn() =>
    [
        new("", "v1", "pods", "Pod", HasStatus: true),
        new("", "v1", "services", "Service", HasStatus: true),
        new("", "v1", "secrets", "Secret"),
        new("", "v1", "configmaps", "ConfigMap"),
        new("", "v1", "serviceaccounts", "ServiceAccount"),
        new("", "v1", "events", "Event"),
        new("", "v1", "namespaces", "Namespace", Namespaced: false, HasStatus: true),
        new("apps", "v1", "deployments", "Deployment", HasStatus: true),
        new("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", HasStatus: true),
        new("rbac.authorization.k8s.io", "v1", "roles", "Role"),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", Namespaced: false, HasStatus: true),
    ];
}

using System.Text.Json.Nodes;

namespace Shoal.Tests.Kubernetes.Fake;

/// <summary>What the real API server refuses with 422 Invalid for the objects Shoal makes (a subset of its validation, the parts a manager can get wrong).</summary>
internal static class FakeKubeValidation
{
    public static FakeKubeError? Check(FakeKubeResource resource, string name, JsonObject o)
    {
        string what = resource.Plural;
        if (!FakeKubeJson.IsValidName(name)) return FakeKubeError.Invalid(what, name, $"metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'");
        switch (resource.Key)
        {
            case "pods":
                return Containers(what, name, o["spec"], "spec");
            case "deployments.apps":
                var selector = o["spec"]?["selector"]?["matchLabels"].StringMap();
                if (selector is null || selector.Count == 0) return FakeKubeError.Invalid(what, name, "spec.selector: Required value");
                var labels = o["spec"]?["template"]?["metadata"]?["labels"].StringMap() ?? new Dictionary<string, string>();
                if (selector.Any(p => !labels.TryGetValue(p.Key, out var v) || v != p.Value))
                    return FakeKubeError.Invalid(what, name, "spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`");
                if (o["spec"]?["replicas"] is JsonValue r && r.GetValue<int>() < 0) return FakeKubeError.Invalid(what, name, "spec.replicas: must be greater than or equal to 0");
                return Containers(what, name, o["spec"]?["template"]?["spec"], "spec.template.spec");
            case "services":
                if (o["spec"]?["ports"] is not JsonArray { Count: > 0 } ports) return FakeKubeError.Invalid(what, name, "spec.ports: Required value");
                if (ports.Any(p => p?["port"] is null)) return FakeKubeError.Invalid(what, name, "spec.ports[0].port: Required value");
                var type = o["spec"].Str("type") ?? "ClusterIP";
                if (type is not ("ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName")) return FakeKubeError.Invalid(what, name, $"spec.type: Unsupported value: \"{type}\"");
                return null;
            case "secrets":
                if (o["data"] is JsonObject data)
                {
                    foreach (var (key, value) in data)
                    {
                        var text = value?.GetValue<string>() ?? "";
                        var buffer = new byte[text.Length];
                        if (!Convert.TryFromBase64String(text, buffer, out _)) return FakeKubeError.Invalid(what, name, $"data[{key}]: Invalid value: not base64");
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static FakeKubeError? Containers(string what, string name, JsonNode? spec, string path)
    {
        if (spec?["containers"] is not JsonArray { Count: > 0 } containers) return FakeKubeError.Invalid(what, name, $"{path}.containers: Required value");
        for (int i = 0; i < containers.Count; i++)
        {
            if (string.IsNullOrEmpty(containers[i].Str("name"))) return FakeKubeError.Invalid(what, name, $"{path}.containers[{i}].name: Required value");
            if (string.IsNullOrEmpty(containers[i].Str("image"))) return FakeKubeError.Invalid(what, name, $"{path}.containers[{i}].image: Required value");
        }

        return null;
    }
}

/// <summary>The defaults the real API server fills in on create, for the fields clients read back.</summary>
internal static class FakeKubeDefaults
{
    private static int _nextIp;

    public static void OnCreate(FakeKubeResource resource, JsonObject o)
    {
        switch (resource.Key)
        {
            case "pods":
                o.Child("spec")["restartPolicy"] ??= "Always";
                o["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
                break;
            case "deployments.apps":
                o.Child("spec")["replicas"] ??= 1;
                o["status"] = new JsonObject();
                break;
            case "services":
                var spec = o.Child("spec");
                spec["type"] ??= "ClusterIP";
                if (spec.Str("clusterIP") is null or "") spec["clusterIP"] = $"10.96.{Interlocked.Increment(ref _nextIp) / 250}.{_nextIp % 250 + 1}";
                o["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
        }
    }
}

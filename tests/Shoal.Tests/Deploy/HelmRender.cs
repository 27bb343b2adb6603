using k8s;

namespace Shoal.Tests.Deploy;

/// <summary>Runs tools/helm-render on deploy/helm/shoal and loads what it prints.</summary>
internal static class HelmRender
{
    public static string Chart => Path.Combine(Podman.RepositoryRoot, "deploy/helm/shoal");

    public static string Tool => Path.Combine(Podman.RepositoryRoot, "tools/helm-render");

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <summary>The manifests for <paramref name="args"/> (after the chart), as text.</summary>
    public static Task<string> TextAsync(params string[] args) => Podman.RunAsync(Tool, [Chart, .. args], Patience);

    /// <summary>The rendered objects in KubernetesClient's typed models; unknown fields are errors.</summary>
    public static async Task<Manifests> ObjectsAsync(params string[] args) => Manifests.Load(await TextAsync(args));
}

/// <summary>
/// Rendered manifests: Kubernetes' own kinds loaded strictly into KubernetesClient's models (an
/// unknown or misplaced field fails the load), the Prometheus Operator's kinds, which it has no
/// model for, as plain YAML maps.
/// </summary>
internal sealed class Manifests
{
    public List<object> Typed { get; } = [];

    public List<Dictionary<object, object>> Monitors { get; } = [];

    public static Manifests Load(string text)
    {
        var manifests = new Manifests();
        var yaml = new YamlDotNet.Serialization.DeserializerBuilder().Build();
        foreach (var doc in text.Split("\n---", StringSplitOptions.RemoveEmptyEntries))
        {
            if (string.IsNullOrWhiteSpace(string.Join('\n', doc.Split('\n').Where(l => !l.TrimStart().StartsWith('#'))))) continue;
            if (doc.Contains("apiVersion: monitoring.coreos.com/", StringComparison.Ordinal))
                manifests.Monitors.Add(yaml.Deserialize<Dictionary<object, object>>(doc));
            else
                manifests.Typed.AddRange(KubernetesYaml.LoadAllFromString(doc, strict: true));
        }

        return manifests;
    }

    public T One<T>(string name) where T : IKubernetesObject<k8s.Models.V1ObjectMeta> =>
        Typed.OfType<T>().Where(o => o.Metadata.Name == name).ShouldHaveSingleItem($"one {typeof(T).Name} named {name}");

    public IEnumerable<string> Kinds => Typed.Cast<IKubernetesObject<k8s.Models.V1ObjectMeta>>().Select(o => $"{o.Kind}/{o.Metadata.Name}")
        .Concat(Monitors.Select(m => $"{m["kind"]}/{((Dictionary<object, object>)m["metadata"])["name"]}"));
}

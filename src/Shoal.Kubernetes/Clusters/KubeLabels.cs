namespace Shoal.Kubernetes;

/// <summary>The labels every object a <see cref="KubeCluster"/> makes carries: how it finds (and removes) them all.</summary>
internal static class KubeLabels
{
    public const string Cluster = "shoal.dev/cluster";
    public const string Component = "shoal.dev/component";

    public static Dictionary<string, string> For(string cluster, string component) => new()
    {
        [Cluster] = cluster, [Component] = component, ["app.kubernetes.io/name"] = "shoal", ["app.kubernetes.io/managed-by"] = "shoal-kubecluster",
    };

    public static string Selector(string cluster) => $"{Cluster}={cluster}";
}

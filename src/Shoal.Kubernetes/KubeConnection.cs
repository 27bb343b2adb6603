using k8s;

namespace Shoal.Kubernetes;

/// <summary>How Shoal reaches a Kubernetes API server: KubernetesClient's own configuration loading.</summary>
internal static class KubeConnection
{
    /// <summary>
    /// In a pod (its service account's token, CA and namespace) unless a kubeconfig file is named;
    /// otherwise the kubeconfig file: <paramref name="kubeconfig"/>, else <c>$KUBECONFIG</c>, else
    /// <c>~/.kube/config</c> (tokens, client certificates and exec plugins, as kubectl reads them).
    /// </summary>
    public static KubernetesClientConfiguration Load(string? kubeconfig = null, string? context = null)
    {
        if (kubeconfig is null && KubernetesClientConfiguration.IsInCluster()) return KubernetesClientConfiguration.InClusterConfig();
        var path = kubeconfig ?? Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator).FirstOrDefault(p => p.Length > 0)
            ?? KubernetesClientConfiguration.KubeConfigDefaultLocation;
        if (!File.Exists(path))
            throw new InvalidOperationException($"no Kubernetes configuration: not in a pod, and no kubeconfig file at {path} (set --kubeconfig or KUBECONFIG)");
        return KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context);
    }
}

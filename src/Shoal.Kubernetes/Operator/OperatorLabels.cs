namespace Shoal.Kubernetes.Operator;

/// <summary>The labels on every object the operator makes: which cluster, which part, which worker group or job.</summary>
internal static class OperatorLabels
{
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "shoal-operator";
    public const string Group = "shoal.dev/worker-group";
    public const string Job = "shoal.dev/job";

    /// <summary>What selects every pod the operator watches.</summary>
    public const string PodSelector = ManagedBy + "=" + ManagedByValue;

    public static Dictionary<string, string> For(string cluster, string component) => new()
    {
        [KubeLabels.Cluster] = cluster, [KubeLabels.Component] = component, ["app.kubernetes.io/name"] = "shoal", [ManagedBy] = ManagedByValue,
    };

    public static Dictionary<string, string> ForWorker(string cluster, string group) => new(For(cluster, "worker")) { [Group] = group };

    public static string WorkerSelector(string group) => $"{Group}={group},{ManagedBy}={ManagedByValue}";
}

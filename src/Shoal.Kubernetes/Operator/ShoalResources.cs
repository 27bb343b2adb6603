using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Shoal.Kubernetes.Operator;

/// <summary>
/// The operator's custom resources (group <c>shoal.dev</c>, version <c>v1alpha1</c>), as C# types the
/// reconcilers read and write. Their OpenAPI schemas are in deploy/operator/crds.yaml; a test checks
/// that the schemas cover every field these types serialize (the API server prunes what a schema
/// does not name).
/// </summary>
internal static class ShoalResources
{
    public const string Group = "shoal.dev";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;

    public static readonly ShoalKind Cluster = new("ShoalCluster", "shoalclusters");
    public static readonly ShoalKind WorkerGroup = new("ShoalWorkerGroup", "shoalworkergroups");
    public static readonly ShoalKind Job = new("ShoalJob", "shoaljobs");
    public static readonly ShoalKind Autoscaler = new("ShoalAutoscaler", "shoalautoscalers");

    public static IReadOnlyList<ShoalKind> All => [Cluster, WorkerGroup, Job, Autoscaler];
}

/// <summary>One custom resource kind: what objects call it and its name in URLs.</summary>
internal sealed record ShoalKind(string Kind, string Plural);

/// <summary>What every custom object remembers of its status as read, so that a reconcile that changes nothing writes nothing.</summary>
internal interface IStatusAsRead
{
    /// <summary>The status as read from the API server (serialized), null before.</summary>
    string? StatusAsRead { get; set; }

    /// <summary>The status now, serialized the same way.</summary>
    string StatusNow();
}

/// <summary>The common shape: metadata, a spec and a status written only by the operator.</summary>
internal abstract class ShoalObject<TSpec, TStatus> : IKubernetesObject<V1ObjectMeta>, IStatusAsRead
    where TSpec : new()
    where TStatus : new()
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ShoalResources.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public TSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public TStatus? Status { get; set; }

    [JsonIgnore]
    public string? StatusAsRead { get; set; }

    public string StatusNow() => Status is null ? "null" : KubernetesJson.Serialize(Status);

    /// <summary>namespace/name.</summary>
    [JsonIgnore]
    public string Key => $"{Metadata.NamespaceProperty}/{Metadata.Name}";
}

/// <summary>A scheduler (its own Deployment and Service) and a default worker group.</summary>
internal sealed class ShoalCluster : ShoalObject<ShoalClusterSpec, ShoalClusterStatus>
{
    public ShoalCluster() => Kind = ShoalResources.Cluster.Kind;
}

internal sealed class ShoalClusterSpec
{
    /// <summary>The Shoal image the scheduler and (unless a group says otherwise) the workers run.</summary>
    [JsonPropertyName("image")]
    public string Image { get; set; } = "";

    [JsonPropertyName("scheduler")]
    public ShoalSchedulerSpec? Scheduler { get; set; }

    /// <summary>The default worker group (NAME-default), made once; scale it afterwards (kubectl scale shoalworkergroup).</summary>
    [JsonPropertyName("workers")]
    public ShoalWorkerSpec? Workers { get; set; }
}

internal sealed class ShoalSchedulerSpec
{
    /// <summary>ClusterIP (default), NodePort or LoadBalancer.</summary>
    [JsonPropertyName("serviceType")]
    public string? ServiceType { get; set; }

    /// <summary>The scheduler's --idle-timeout (e.g. "1h"): it exits, and its cluster is marked Idle, after that long without clients or work.</summary>
    [JsonPropertyName("idleTimeout")]
    public string? IdleTimeout { get; set; }

    [JsonPropertyName("resources")]
    public V1ResourceRequirements? Resources { get; set; }
}

/// <summary>What a worker group's pods run.</summary>
internal class ShoalWorkerSpec
{
    [JsonPropertyName("replicas")]
    public int Replicas { get; set; }

    [JsonPropertyName("threads")]
    public int? Threads { get; set; }

    /// <summary>Default: the cluster's image.</summary>
    [JsonPropertyName("image")]
    public string? Image { get; set; }

    /// <summary>Extra flags after Shoal's own worker command line.</summary>
    [JsonPropertyName("args")]
    public IList<string>? Args { get; set; }

    [JsonPropertyName("resources")]
    public V1ResourceRequirements? Resources { get; set; }
}

internal sealed class ShoalClusterStatus
{
    /// <summary>Pending, Running or Failed.</summary>
    [JsonPropertyName("phase")]
    public string? Phase { get; set; }

    /// <summary>Where clients and workers reach the scheduler (tls://SERVICE.NAMESPACE.svc:8786).</summary>
    [JsonPropertyName("schedulerAddress")]
    public string? SchedulerAddress { get; set; }

    [JsonPropertyName("dashboardAddress")]
    public string? DashboardAddress { get; set; }

    /// <summary>Workers registered with the scheduler.</summary>
    [JsonPropertyName("workers")]
    public int Workers { get; set; }

    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }
}

/// <summary>Worker pods of one cluster, one per worker, named as it.</summary>
internal sealed class ShoalWorkerGroup : ShoalObject<ShoalWorkerGroupSpec, ShoalWorkerGroupStatus>
{
    public ShoalWorkerGroup() => Kind = ShoalResources.WorkerGroup.Kind;
}

internal sealed class ShoalWorkerGroupSpec : ShoalWorkerSpec
{
    /// <summary>The ShoalCluster (same namespace) whose scheduler the workers join.</summary>
    [JsonPropertyName("cluster")]
    public string Cluster { get; set; } = "";
}

internal sealed class ShoalWorkerGroupStatus
{
    /// <summary>Live pods (not terminated, not being deleted).</summary>
    [JsonPropertyName("replicas")]
    public int Replicas { get; set; }

    /// <summary>Of those, workers registered with the scheduler.</summary>
    [JsonPropertyName("workers")]
    public int Workers { get; set; }

    /// <summary>The label selector of its pods (for the scale subresource).</summary>
    [JsonPropertyName("selector")]
    public string? Selector { get; set; }

    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }
}

/// <summary>A client program run in a pod against a fresh cluster, which is removed when the program ends.</summary>
internal sealed class ShoalJob : ShoalObject<ShoalJobSpec, ShoalJobStatus>
{
    public ShoalJob() => Kind = ShoalResources.Job.Kind;
}

internal sealed class ShoalJobSpec
{
    [JsonPropertyName("cluster")]
    public ShoalClusterSpec Cluster { get; set; } = new();

    [JsonPropertyName("runner")]
    public ShoalJobRunner Runner { get; set; } = new();
}

/// <summary>The client program's container: it finds the scheduler in SHOAL_SCHEDULER_ADDRESS and its credentials under /etc/shoal/tls.</summary>
internal sealed class ShoalJobRunner
{
    [JsonPropertyName("image")]
    public string Image { get; set; } = "";

    [JsonPropertyName("command")]
    public IList<string>? Command { get; set; }

    [JsonPropertyName("args")]
    public IList<string>? Args { get; set; }

    [JsonPropertyName("env")]
    public IList<V1EnvVar>? Env { get; set; }
}

internal sealed class ShoalJobStatus
{
    /// <summary>Pending (cluster starting), Running, Succeeded or Failed.</summary>
    [JsonPropertyName("phase")]
    public string? Phase { get; set; }

    [JsonPropertyName("cluster")]
    public string? Cluster { get; set; }

    [JsonPropertyName("startTime")]
    public DateTime? StartTime { get; set; }

    [JsonPropertyName("completionTime")]
    public DateTime? CompletionTime { get; set; }

    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }
}

/// <summary>Sizes a worker group from the scheduler's adaptive target, between bounds.</summary>
internal sealed class ShoalAutoscaler : ShoalObject<ShoalAutoscalerSpec, ShoalAutoscalerStatus>
{
    public ShoalAutoscaler() => Kind = ShoalResources.Autoscaler.Kind;
}

internal sealed class ShoalAutoscalerSpec
{
    [JsonPropertyName("cluster")]
    public string Cluster { get; set; } = "";

    /// <summary>Default: the cluster's default group (CLUSTER-default).</summary>
    [JsonPropertyName("workerGroup")]
    public string? WorkerGroup { get; set; }

    [JsonPropertyName("minimum")]
    public int Minimum { get; set; }

    [JsonPropertyName("maximum")]
    public int Maximum { get; set; }

    /// <summary>Seconds between readings of the target. Default 5.</summary>
    [JsonPropertyName("intervalSeconds")]
    public int? IntervalSeconds { get; set; }

    /// <summary>Readings in a row the target must stay lower before workers are retired. Default 3.</summary>
    [JsonPropertyName("waitCount")]
    public int? WaitCount { get; set; }
}

internal sealed class ShoalAutoscalerStatus
{
    /// <summary>The scheduler's last adaptive target.</summary>
    [JsonPropertyName("target")]
    public int? Target { get; set; }

    /// <summary>The replicas it last set.</summary>
    [JsonPropertyName("desired")]
    public int? Desired { get; set; }

    [JsonPropertyName("lastScaleTime")]
    public DateTime? LastScaleTime { get; set; }

    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }
}

/// <summary>A list of custom objects as the API server answers (items and the list's resource version).</summary>
internal sealed class ShoalObjectList<T>
{
    [JsonPropertyName("metadata")]
    public V1ListMeta? Metadata { get; set; }

    [JsonPropertyName("items")]
    public IList<T> Items { get; set; } = [];
}

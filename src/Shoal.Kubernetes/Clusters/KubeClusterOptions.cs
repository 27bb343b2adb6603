using Microsoft.Extensions.Logging;

namespace Shoal.Kubernetes;

/// <summary>Where a <see cref="KubeCluster"/> makes its objects and how its scheduler is reached.</summary>
public sealed record KubeClusterOptions
{
    /// <summary>The cluster's name: a prefix of every object it makes. Default: "shoal-" and a random id.</summary>
    public string? Name { get; init; }

    /// <summary>The namespace. Default: the kubeconfig context's or the pod's, else "default".</summary>
    public string? Namespace { get; init; }

    /// <summary>Workers to start with. Default 0.</summary>
    public int Workers { get; init; }

    /// <summary>Threads per worker. Default 1.</summary>
    public int ThreadsPerWorker { get; init; } = 1;

    /// <summary>
    /// The address of this process that worker pods dial (the scheduler runs in this process and
    /// listens there). Default: this pod's IP in a cluster ($POD_IP, else the host name's first
    /// address), else loopback.
    /// </summary>
    public string? SchedulerHost { get; init; }

    /// <summary>How long a worker pod has to start and register. Default 120 s (an image pull).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>A kubeconfig file; null: in a pod its service account, else $KUBECONFIG, else ~/.kube/config.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>The Kubernetes client to use instead of loading a configuration (tests, or a client the caller made).</summary>
    public k8s.IKubernetes? Kubernetes { get; init; }

    /// <summary>
    /// The pod this client runs in (name and uid), which then owns the cluster's anchor ConfigMap:
    /// when the pod goes, the garbage collector removes every object of the cluster even if this
    /// process was killed. Default: <c>$POD_NAME</c> and <c>$POD_UID</c> when both are set (the
    /// downward API's <c>metadata.name</c> and <c>metadata.uid</c>), else none.
    /// </summary>
    internal (string Name, string Uid)? OwnerPod { get; init; } =
        Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } name && Environment.GetEnvironmentVariable("POD_UID") is { Length: > 0 } uid ? (name, uid) : null;

    /// <summary>Where the cluster logs; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

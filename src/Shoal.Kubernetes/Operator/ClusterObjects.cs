using System.Globalization;
using k8s.Models;
using Shoal.Protocol.Messages;

namespace Shoal.Kubernetes.Operator;

/// <summary>
/// The Kubernetes objects a ShoalCluster stands for, built from its spec (pure: the reconcilers
/// create what is missing). The scheduler is a one-replica Deployment behind a Service (ClusterIP
/// unless the spec asks for NodePort or LoadBalancer) that serves the scheduler port and the
/// dashboard; workers are pods of a ShoalWorkerGroup, one per worker and named as it; everything is
/// owned by the ShoalCluster, so deleting it removes them all.
/// </summary>
internal static class ClusterObjects
{
    public const int SchedulerPort = 8786;
    public const int DashboardPort = 8787;

    public static string SchedulerName(string cluster) => $"{cluster}-scheduler";

    public static string DefaultGroupName(string cluster) => $"{cluster}-default";

    /// <summary>tls://SERVICE.NAMESPACE.svc:8786, which workers and clients in the cluster dial.</summary>
    public static string SchedulerAddress(string cluster, string @namespace) =>
        $"tls://{SchedulerName(cluster)}.{@namespace}.svc:{SchedulerPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The scheduler's HTTP API (the dashboard, HTTPS with the cluster's certificate) as seen from inside the cluster.</summary>
    public static Uri DashboardUri(string cluster, string @namespace) =>
        new($"https://{SchedulerName(cluster)}.{@namespace}.svc:{DashboardPort.ToString(CultureInfo.InvariantCulture)}/");

    public static V1OwnerReference OwnerOf<T>(T owner, bool controller = true) where T : k8s.IKubernetesObject<V1ObjectMeta> => new()
    {
        ApiVersion = owner.ApiVersion, Kind = owner.Kind, Name = owner.Metadata.Name, Uid = owner.Metadata.Uid, Controller = controller, BlockOwnerDeletion = true,
    };

    /// <summary>What is wrong with a cluster's spec, or null (the operator marks it Failed instead of making half of it).</summary>
    public static string? Problem(ShoalClusterSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Image)) return "spec.image is required (the Shoal image)";
        if (spec.Scheduler?.ServiceType is { } type && type is not ("ClusterIP" or "NodePort" or "LoadBalancer"))
            return $"spec.scheduler.serviceType '{type}': ClusterIP, NodePort or LoadBalancer";
        if (spec.Workers is { } w && Problem(w, "spec.workers") is { } p) return p;
        return null;
    }

    public static string? Problem(ShoalWorkerSpec spec, string path)
    {
        if (spec.Replicas < 0) return $"{path}.replicas must be 0 or more, not {spec.Replicas}";
        if (spec.Threads is < 1) return $"{path}.threads must be 1 or more, not {spec.Threads}";
        return null;
    }

    public static V1Deployment SchedulerDeployment(ShoalCluster cluster)
    {
        var name = cluster.Metadata.Name;
        var labels = OperatorLabels.For(name, "scheduler");
        List<string> args = ["scheduler", "--host", "0.0.0.0", "--port", SchedulerPort.ToString(CultureInfo.InvariantCulture),
            "--dashboard-address", ":" + DashboardPort.ToString(CultureInfo.InvariantCulture)];
        if (cluster.Spec.Scheduler?.IdleTimeout is { Length: > 0 } idle) args.AddRange(["--idle-timeout", idle]);
        args.AddRange(ClusterCredentials.Flags(Role.Scheduler));
        var (volume, mount) = ClusterCredentials.Volume(name);
        return new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = SchedulerName(name), Labels = labels, OwnerReferences = [OwnerOf(cluster)] },
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(labels) },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "scheduler", Image = cluster.Spec.Image, Args = args,
                                Ports = [new V1ContainerPort { Name = "comm", ContainerPort = SchedulerPort }, new V1ContainerPort { Name = "dashboard", ContainerPort = DashboardPort }],
                                Resources = cluster.Spec.Scheduler?.Resources,
                                ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = SchedulerPort }, PeriodSeconds = 2 },
                                VolumeMounts = [mount],
                            },
                        ],
                        Volumes = [volume],
                    },
                },
            },
        };
    }

    public static V1Service SchedulerService(ShoalCluster cluster)
    {
        var name = cluster.Metadata.Name;
        return new V1Service
        {
            Metadata = new V1ObjectMeta { Name = SchedulerName(name), Labels = OperatorLabels.For(name, "scheduler"), OwnerReferences = [OwnerOf(cluster)] },
            Spec = new V1ServiceSpec
            {
                Type = cluster.Spec.Scheduler?.ServiceType ?? "ClusterIP",
                Selector = OperatorLabels.For(name, "scheduler"),
                Ports =
                [
                    new V1ServicePort { Name = "comm", Port = SchedulerPort, TargetPort = SchedulerPort, Protocol = "TCP" },
                    new V1ServicePort { Name = "dashboard", Port = DashboardPort, TargetPort = DashboardPort, Protocol = "TCP" },
                ],
            },
        };
    }

    /// <summary>The default worker group, made once from spec.workers.</summary>
    public static ShoalWorkerGroup DefaultGroup(ShoalCluster cluster)
    {
        var w = cluster.Spec.Workers ?? new ShoalWorkerSpec();
        return new ShoalWorkerGroup
        {
            Metadata = new V1ObjectMeta
            {
                Name = DefaultGroupName(cluster.Metadata.Name), NamespaceProperty = cluster.Metadata.NamespaceProperty,
                Labels = OperatorLabels.For(cluster.Metadata.Name, "worker-group"), OwnerReferences = [OwnerOf(cluster)],
            },
            Spec = new ShoalWorkerGroupSpec { Cluster = cluster.Metadata.Name, Replicas = w.Replicas, Threads = w.Threads, Image = w.Image, Args = w.Args, Resources = w.Resources },
        };
    }

    /// <summary>One worker pod of a group: named <paramref name="podName"/> (the worker's name), restartPolicy Never (a retired worker's pod ends).</summary>
    public static V1Pod WorkerPod(ShoalWorkerGroup group, ShoalCluster cluster, string podName)
    {
        var ns = cluster.Metadata.NamespaceProperty;
        List<string> args = ["worker", SchedulerAddress(cluster.Metadata.Name, ns), "--nthreads", (group.Spec.Threads ?? 1).ToString(CultureInfo.InvariantCulture), "--death-timeout", "60s"];
        args.AddRange(ClusterCredentials.Flags(Role.Worker));
        args.AddRange(group.Spec.Args ?? []);
        var (volume, mount) = ClusterCredentials.Volume(cluster.Metadata.Name);
        return new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = podName, Labels = OperatorLabels.ForWorker(cluster.Metadata.Name, group.Metadata.Name), OwnerReferences = [OwnerOf(group)] },
            Spec = new V1PodSpec
            {
                RestartPolicy = "Never",
                Containers =
                [
                    new V1Container
                    {
                        Name = "worker", Image = group.Spec.Image ?? cluster.Spec.Image, Args = args, Resources = group.Spec.Resources,
                        Env = [new V1EnvVar { Name = "SHOAL_WORKER_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } }],
                        VolumeMounts = [mount],
                    },
                ],
                Volumes = [volume],
            },
        };
    }

    /// <summary>A ShoalJob's cluster: its spec.cluster, named as the job, owned by it.</summary>
    public static ShoalCluster JobCluster(ShoalJob job) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = job.Metadata.Name, NamespaceProperty = job.Metadata.NamespaceProperty,
            Labels = new Dictionary<string, string> { [OperatorLabels.Job] = job.Metadata.Name }, OwnerReferences = [OwnerOf(job)],
        },
        Spec = job.Spec.Cluster,
    };

    /// <summary>A ShoalJob's runner pod: its container, the scheduler's address in SHOAL_SCHEDULER_ADDRESS and the client's credentials mounted.</summary>
    public static V1Pod RunnerPod(ShoalJob job)
    {
        var name = job.Metadata.Name;
        var (volume, mount) = ClusterCredentials.Volume(name);
        var flags = ClusterCredentials.Flags(Role.Client).ToList();
        List<V1EnvVar> env =
        [
            new() { Name = "SHOAL_SCHEDULER_ADDRESS", Value = SchedulerAddress(name, job.Metadata.NamespaceProperty) },
            new() { Name = "SHOAL_TLS_CA_FILE", Value = flags[1] }, new() { Name = "SHOAL_TLS_CERT", Value = flags[3] },
            new() { Name = "SHOAL_TLS_KEY", Value = flags[5] }, new() { Name = "SHOAL_TOKEN_FILE", Value = flags[7] },
        ];
        env.AddRange(job.Spec.Runner.Env ?? []);
        return new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = $"{name}-runner",
                Labels = new Dictionary<string, string>(OperatorLabels.For(name, "runner")) { [OperatorLabels.Job] = name },
                OwnerReferences = [OwnerOf(job)],
            },
            Spec = new V1PodSpec
            {
                RestartPolicy = "Never",
                Containers = [new V1Container { Name = "runner", Image = job.Spec.Runner.Image, Command = job.Spec.Runner.Command, Args = job.Spec.Runner.Args, Env = env, VolumeMounts = [mount] }],
                Volumes = [volume],
            },
        };
    }
}

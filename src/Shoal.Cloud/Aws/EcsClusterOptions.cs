using Amazon.Runtime;
using Microsoft.Extensions.Logging;

namespace Shoal.Cloud.Aws;

/// <summary>How an <see cref="EcsCluster"/> starts its workers on Amazon ECS (Fargate by default).</summary>
public sealed record EcsClusterOptions
{
    /// <summary>The container image of the workers: Shoal's image (deploy/container), whose <c>shoal</c> is on the PATH (required).</summary>
    public required string Image { get; init; }

    /// <summary>The AWS region. Default: <c>AWS_REGION</c>, else <c>AWS_DEFAULT_REGION</c>, else us-east-1.</summary>
    public string Region { get; init; } = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";

    /// <summary>Credentials; null: AWSSDK.Core's chain (environment, profiles, SSO, container and instance roles).</summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>Endpoints by service name (ecs, ec2, iam, logs) instead of AWS's own: a VPC endpoint, a proxy, a test double.</summary>
    public IReadOnlyDictionary<string, Uri>? ServiceUrls { get; init; }

    /// <summary>Workers to start with. Default 0.</summary>
    public int Workers { get; init; }

    /// <summary>CPU units per worker task (1024 = one vCPU; a Fargate size). Default 1024.</summary>
    public int Cpu { get; init; } = 1024;

    /// <summary>Memory per worker task in MiB (a Fargate size for the CPU). Default 4096.</summary>
    public int MemoryMiB { get; init; } = 4096;

    /// <summary>Threads per worker. Default: one per vCPU of <see cref="Cpu"/>, at least 1.</summary>
    public int? ThreadsPerWorker { get; init; }

    /// <summary>Fargate (true, the default) or the EC2 launch type on <see cref="ClusterArn"/>'s container instances.</summary>
    public bool Fargate { get; init; } = true;

    /// <summary>Run workers on Fargate Spot (spare capacity, cheaper, may be taken back; their results are recomputed). Default false.</summary>
    public bool FargateSpot { get; init; }

    /// <summary>An existing ECS cluster to run in (kept at disposal); null: a new one, deleted at disposal.</summary>
    public string? ClusterArn { get; init; }

    /// <summary>The VPC; null: the region's default VPC.</summary>
    public string? VpcId { get; init; }

    /// <summary>Subnets for the tasks; null: every subnet of the VPC.</summary>
    public IReadOnlyList<string>? SubnetIds { get; init; }

    /// <summary>Security groups for the tasks; null: a new group that admits only its own members (and <see cref="IngressCidrs"/>).</summary>
    public IReadOnlyList<string>? SecurityGroupIds { get; init; }

    /// <summary>More sources the new security group admits, as CIDR ranges (say, the client's subnet). Default none.</summary>
    public IReadOnlyList<string> IngressCidrs { get; init; } = [];

    /// <summary>Give each task a public IP. Default false: private addresses only (the subnets need a NAT or VPC endpoints to pull the image).</summary>
    public bool PublicIp { get; init; }

    /// <summary>The task execution role; null: a new role with AmazonECSTaskExecutionRolePolicy, deleted at disposal.</summary>
    public string? ExecutionRoleArn { get; init; }

    /// <summary>The role the workers' code runs as (to read S3, say); null: none.</summary>
    public string? TaskRoleArn { get; init; }

    /// <summary>Where this process's scheduler listens. Default 0.0.0.0 (the workers dial it from the VPC).</summary>
    public string SchedulerHost { get; init; } = "0.0.0.0";

    /// <summary>Port of the scheduler (0: any free one). Default 0.</summary>
    public int SchedulerPort { get; init; }

    /// <summary>The host workers dial to reach the scheduler; null: this machine's name.</summary>
    public string? AdvertisedSchedulerHost { get; init; }

    /// <summary>Credentials; null: new temporary TLS certificates for this cluster (cloud workers require TLS).</summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>Tags added to every object made (beside Shoal's own <c>shoal:cluster</c> and <c>shoal:managed-by</c>).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>How long a task may take from RunTask to RUNNING before it is stopped as one that never starts. Default 5 minutes.</summary>
    public TimeSpan TaskStartTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long <see cref="EcsCluster.ScaleAsync"/> waits for workers to register. Default 10 minutes (image pulls).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A worker exits after its scheduler has been unreachable this long (its task then ends). Default 60 s.</summary>
    public TimeSpan DeathTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often task states are read (one DescribeTasks call for up to 100 tasks). Default 2 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Days CloudWatch keeps the workers' logs. Default 7.</summary>
    public int LogRetentionDays { get; init; } = 7;

    /// <summary>Where the cluster logs; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    internal HttpMessageHandler? HttpHandler { get; init; }

    internal CloudRetry Retry { get; init; } = CloudRetry.Default;
}

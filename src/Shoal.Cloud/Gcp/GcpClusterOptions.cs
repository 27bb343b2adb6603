using Google.Apis.Auth.OAuth2;
using Microsoft.Extensions.Logging;

namespace Shoal.Cloud.Gcp;

/// <summary>How a <see cref="GcpCluster"/> starts its workers on Google Compute Engine.</summary>
public sealed record GcpClusterOptions
{
    /// <summary>The project (required).</summary>
    public required string Project { get; init; }

    /// <summary>The zone of the VMs, e.g. us-central1-a (required).</summary>
    public required string Zone { get; init; }

    /// <summary>The container image of the workers: Shoal's image (deploy/container), whose <c>shoal</c> is on the PATH (required).</summary>
    public required string Image { get; init; }

    /// <summary>Credentials; null: <see cref="ServiceAccountKeyFile"/>, else application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server).</summary>
    public GoogleCredential? Credential { get; init; }

    /// <summary>A service-account key file (JSON) to authenticate with; null: see <see cref="Credential"/>.</summary>
    public string? ServiceAccountKeyFile { get; init; }

    /// <summary>The Compute Engine API's root. Default https://compute.googleapis.com/compute/v1/ (a private endpoint or a test double otherwise).</summary>
    public Uri ComputeUrl { get; init; } = new("https://compute.googleapis.com/compute/v1/");

    /// <summary>Workers to start with. Default 0.</summary>
    public int Workers { get; init; }

    /// <summary>The machine type. Default e2-standard-2.</summary>
    public string MachineType { get; init; } = "e2-standard-2";

    /// <summary>Threads per worker. Default 2 (e2-standard-2's vCPUs).</summary>
    public int ThreadsPerWorker { get; init; } = 2;

    /// <summary>Memory limit per worker in bytes; 0: none. Default 6 GiB (of e2-standard-2's 8).</summary>
    public long MemoryLimitPerWorker { get; init; } = 6L << 30;

    /// <summary>The boot image: Container-Optimized OS, which runs cloud-init and Docker. Default the cos-stable family.</summary>
    public string SourceImage { get; init; } = "projects/cos-cloud/global/images/family/cos-stable";

    /// <summary>Boot disk size in GB. Default 20.</summary>
    public int DiskSizeGb { get; init; } = 20;

    /// <summary>The VPC network. Default global/networks/default.</summary>
    public string Network { get; init; } = "global/networks/default";

    /// <summary>The subnetwork (regions/R/subnetworks/S); null: the network's in the zone's region.</summary>
    public string? Subnetwork { get; init; }

    /// <summary>Give each VM a public address (ONE_TO_ONE_NAT). Default false: private addresses only (Cloud NAT or Private Google Access to pull the image).</summary>
    public bool PublicIngress { get; init; }

    /// <summary>More sources the cluster's firewall rule admits, as CIDR ranges (say, the client's subnet). Default none: only the cluster's own VMs.</summary>
    public IReadOnlyList<string> IngressRanges { get; init; } = [];

    /// <summary>Spot VMs (cheaper, may be taken back; their results are recomputed). Default false.</summary>
    public bool Spot { get; init; }

    /// <summary>The VMs' service account; null: the project's default compute one.</summary>
    public string? ServiceAccount { get; init; }

    /// <summary>Labels added to every VM (beside Shoal's shoal-cluster and shoal-managed-by).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Where this process's scheduler listens. Default 0.0.0.0 (the workers dial it from the VPC).</summary>
    public string SchedulerHost { get; init; } = "0.0.0.0";

    /// <summary>Port of the scheduler (0: any free one). Default 0.</summary>
    public int SchedulerPort { get; init; }

    /// <summary>The host workers dial to reach the scheduler; null: this machine's name.</summary>
    public string? AdvertisedSchedulerHost { get; init; }

    /// <summary>Credentials; null: new temporary TLS certificates for this cluster (cloud workers require TLS).</summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>How long a VM may take from insertion to RUNNING before it is deleted as one that never starts. Default 5 minutes.</summary>
    public TimeSpan InstanceStartTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long <see cref="GcpCluster.ScaleAsync"/> waits for workers to register. Default 10 minutes.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A worker exits after its scheduler has been unreachable this long, and its VM then powers itself off. Default 60 s.</summary>
    public TimeSpan DeathTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often operations and VM states are read (one list call for all VMs). Default 2 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Where the cluster logs; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    internal HttpMessageHandler? HttpHandler { get; init; }

    internal CloudRetry Retry { get; init; } = CloudRetry.Default;
}

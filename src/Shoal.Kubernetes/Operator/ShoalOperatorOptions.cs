using Microsoft.Extensions.Logging;

namespace Shoal.Kubernetes.Operator;

/// <summary>What <c>shoal operator</c> watches and how often it looks again.</summary>
internal sealed record ShoalOperatorOptions
{
    /// <summary>The one namespace to watch; null: all namespaces (the ClusterRole in deploy/operator).</summary>
    public string? Namespace { get; init; }

    /// <summary>Keys reconciled at once. Default 4.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>How often everything is reconciled even without events (the level-based safety net). Default 30 s.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How soon an unsettled object (workers still registering, a scheduler starting) is looked at again. Default 1 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where the operator reaches a cluster's scheduler HTTP API; default its Service's DNS name (the operator runs in the cluster).</summary>
    public Func<string, string, Uri> SchedulerHttpUri { get; init; } = ClusterObjects.DashboardUri;

    /// <summary>Where it logs; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

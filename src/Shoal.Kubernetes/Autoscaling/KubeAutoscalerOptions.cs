namespace Shoal.Kubernetes.Autoscaling;

/// <summary>What <see cref="KubeAutoscaler"/> scales and by which rule.</summary>
internal sealed record KubeAutoscalerOptions
{
    /// <summary>The workers' Deployment.</summary>
    public required string Deployment { get; init; }

    /// <summary>Its namespace. Default "default".</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>Never fewer workers. Default 0.</summary>
    public int Minimum { get; init; }

    /// <summary>Never more workers. Default: no bound.</summary>
    public int Maximum { get; init; } = int.MaxValue;

    /// <summary>How often the target is read. Default 5 s (the Dask operator's autoscaler's period).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Readings in a row the target must stay lower before workers are retired. Default 3.</summary>
    public int WaitCount { get; init; } = 3;

    /// <summary>Seconds the backlog should take (Dask's target_duration). Default 5.</summary>
    public double TargetDuration { get; init; } = 5;
}

/// <summary>What one reading did.</summary>
/// <param name="Target">The scheduler's adaptive target.</param>
/// <param name="Replicas">The Deployment's replicas before.</param>
/// <param name="Wanted">The replicas set, or null when it stayed.</param>
/// <param name="Removed">The pods chosen to go (unregistered ones, then retired workers), in that order.</param>
internal sealed record AutoscaleStep(int Target, int Replicas, int? Wanted, IReadOnlyList<string> Removed);

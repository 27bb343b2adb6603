namespace Shoal;

/// <summary>
/// A running cluster, whatever started it (in-process, local processes, SSH, Kubernetes, cloud):
/// where its scheduler is, how to scale it, and how to tear it all down.
/// </summary>
public interface ICluster : IAsyncDisposable
{
    /// <summary>The address clients and workers dial.</summary>
    string SchedulerAddress { get; }

    /// <summary>The dashboard's URL, when the cluster has one.</summary>
    string? DashboardLink { get; }

    /// <summary>Starts or stops workers until there are <paramref name="workers"/>.</summary>
    /// <param name="workers">The number of workers wanted.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>Completes when the change was made.</returns>
    Task ScaleAsync(int workers, CancellationToken cancellationToken = default);
}

using Shoal.Deploy;

namespace Shoal;

/// <summary>
/// A cluster that can size itself from the scheduler's adaptive target between bounds (as Dask's
/// <c>Cluster.adapt</c>): <see cref="LocalCluster"/>, <see cref="SpecCluster"/>, <see cref="SshCluster"/>.
/// Lets code that only holds an <see cref="ICluster"/> (a flow's per-run executor) ask for it.
/// </summary>
public interface IAdaptiveCluster : ICluster
{
    /// <summary>Sizes the cluster from the scheduler's adaptive target until the next <see cref="ICluster.ScaleAsync"/> or disposal.</summary>
    /// <param name="options">Bounds and pace.</param>
    /// <param name="cancellationToken">Stops waiting for the first reading.</param>
    /// <returns>Completes once the first reading was acted on.</returns>
    Task AdaptAsync(AdaptOptions options, CancellationToken cancellationToken = default);
}

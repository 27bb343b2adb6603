using Shoal.Deploy;

namespace Shoal;

// Adaptive scaling of a LocalCluster, as Dask's LocalCluster.adapt: the scheduler's target, the
// same policy as SpecCluster's, and this cluster's own scale step (which retires before it stops).
public sealed partial class LocalCluster : IAdaptiveCluster
{
    private AdaptiveLoop? _adaptive;

    /// <summary>Sizes the cluster from the scheduler's adaptive target, between <paramref name="minimum"/> and <paramref name="maximum"/> workers.</summary>
    /// <param name="minimum">Never fewer workers.</param>
    /// <param name="maximum">Never more workers.</param>
    /// <param name="cancellationToken">Stops waiting for the first reading.</param>
    public Task AdaptAsync(int minimum, int maximum, CancellationToken cancellationToken = default) =>
        AdaptAsync(new AdaptOptions { Minimum = minimum, Maximum = maximum }, cancellationToken);

    /// <summary>
    /// Sizes the cluster from the scheduler's adaptive target until <see cref="ScaleAsync"/> or
    /// disposal: up at once, down only after the target stayed lower for
    /// <see cref="AdaptOptions.WaitCount"/> readings, by retirement (results moved first).
    /// </summary>
    /// <param name="options">Bounds and pace.</param>
    /// <param name="cancellationToken">Stops waiting for the first reading.</param>
    public Task AdaptAsync(AdaptOptions options, CancellationToken cancellationToken = default)
    {
        _adaptive ??= new AdaptiveLoop(_scheduler.GetAdaptiveTargetAsync, () => WorkerCount, ScaleCoreAsync, _logger);
        return _adaptive.StartAsync(options, cancellationToken);
    }

    private Task StopAdaptingAsync() => _adaptive?.StopAsync() ?? Task.CompletedTask;
}

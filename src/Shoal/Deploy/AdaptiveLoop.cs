using Microsoft.Extensions.Logging;
using Shoal.Scheduling;

namespace Shoal.Deploy;

/// <summary>
/// Adaptive scaling of one cluster: every interval, the scheduler's target, the
/// <see cref="AdaptivePolicy"/>'s decision, and the cluster's own scale step. One per cluster;
/// a manual scale or disposal stops it.
/// </summary>
internal sealed class AdaptiveLoop
{
    private readonly Func<double, CancellationToken, Task<AdaptiveReading>> _target;
    private readonly Func<int> _current;
    private readonly Func<int, CancellationToken, Task> _scale;
    private readonly ILogger _logger;
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;

    /// <param name="target">The scheduler's adaptive target (given the target duration): whose target to follow.</param>
    /// <param name="current">Workers the cluster has, those still starting included.</param>
    /// <param name="scale">The cluster's scale step (retiring when going down).</param>
    /// <param name="logger">Where failed steps are logged.</param>
    public AdaptiveLoop(Func<double, CancellationToken, Task<AdaptiveReading>> target, Func<int> current, Func<int, CancellationToken, Task> scale, ILogger logger)
    {
        _target = target;
        _current = current;
        _scale = scale;
        _logger = logger;
    }

    /// <summary>Checks <paramref name="options"/>, stops a loop already running, acts on a first reading, then keeps going in the background.</summary>
    public async Task StartAsync(AdaptOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Minimum < 0 || options.Maximum < options.Minimum)
            throw new ArgumentOutOfRangeException(nameof(options), $"bounds {options.Minimum}..{options.Maximum}: need 0 <= minimum <= maximum");
        if (options.WaitCount < 1) throw new ArgumentOutOfRangeException(nameof(options), "WaitCount must be at least 1");
        if (options.Interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "Interval must be positive");
        await StopAsync().ConfigureAwait(false);
        var policy = new AdaptivePolicy(options.Minimum, options.Maximum, options.WaitCount);
        await StepAsync(policy, options, cancellationToken).ConfigureAwait(false);
        var stop = new CancellationTokenSource();
        _stop = stop;
        _loop = Task.Run(() => RunAsync(policy, options, stop.Token), CancellationToken.None);
    }

    /// <summary>Ends adaptive scaling (a step under way finishes first).</summary>
    public async Task StopAsync()
    {
        var stop = Interlocked.Exchange(ref _stop, null);
        if (stop is null) return;
        await stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        stop.Dispose();
    }

    private async Task RunAsync(AdaptivePolicy policy, AdaptOptions options, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await StepAsync(policy, options, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    AdaptiveLog.StepFailed(_logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // adaptive scaling ended
        }
    }

    private async Task StepAsync(AdaptivePolicy policy, AdaptOptions options, CancellationToken cancellationToken)
    {
        var reading = await _target(options.TargetDuration, cancellationToken).ConfigureAwait(false);
        var current = _current();
        if (policy.Decide(reading.Target, current) is { } wanted && wanted != current)
            await _scale(wanted, cancellationToken).ConfigureAwait(false);
    }
}

internal static partial class AdaptiveLog
{
    [LoggerMessage(EventId = 610, Level = LogLevel.Warning, Message = "Adaptive scaling step failed: {Reason}")]
    public static partial void StepFailed(ILogger logger, string reason);
}

using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// How many workers the scheduler's current load wants (queued and processing work by measured
    /// durations per task group over <paramref name="targetDuration"/>, plus the memory the results
    /// need), and the workers it has: what an autoscaler outside the scheduler scales by.
    /// </summary>
    /// <param name="targetDuration">Seconds the backlog should take (Dask's default: 5).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<AdaptiveTarget> GetAdaptiveTargetAsync(double targetDuration = 5, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetDuration);
        await _outbox.DrainAsync().ConfigureAwait(false); // submissions made before count
        var id = _scheduler.NextRequestId();
        var reply = await _scheduler.RequestAsync(id, new Envelope { AdaptiveTarget = new AdaptiveTargetRequest { RequestId = id, TargetDuration = targetDuration } },
            default, cancellationToken).ConfigureAwait(false);
        var answer = reply.Message.AdaptiveTargetReply;
        return new AdaptiveTarget((int)answer.Target, [.. answer.Workers]);
    }
}

/// <summary>The scheduler's adaptive target.</summary>
/// <param name="Workers">How many workers the load wants.</param>
/// <param name="Current">The workers registered now, by name.</param>
public sealed record AdaptiveTarget(int Workers, IReadOnlyList<string> Current);

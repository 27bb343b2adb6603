using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

/// <summary>
/// Whether a registration may take a worker name that a live worker holds. Every worker shares
/// the cluster's worker credential, so the name alone would let one worker (or whoever holds a
/// worker credential) push another out and be handed its tasks. The holder itself may (the same
/// instance reconnecting), and so may the same nanny's next worker (a restart the scheduler has
/// not noticed yet); anyone else is refused. Pure: no I/O.
/// </summary>
internal static class WorkerNameClaims
{
    /// <summary>Why <paramref name="claim"/> may not register (null: it may), given the live registration of that name.</summary>
    public static string? Refusal(RegisterWorker claim, RegisterWorker? live)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (live is null) return null;
        if (!string.IsNullOrEmpty(live.InstanceId) && string.Equals(live.InstanceId, claim.InstanceId, StringComparison.Ordinal)) return null;
        if (!string.IsNullOrEmpty(live.NannyId) && string.Equals(live.NannyId, claim.NannyId, StringComparison.Ordinal)) return null;
        return $"the worker name '{claim.Name}' belongs to a live worker at {live.Address}: give this worker another name (--name), or stop that one first";
    }
}

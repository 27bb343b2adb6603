using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

/// <summary>
/// Which nanny may say that a worker died. A nanny holds a worker's credential, which every
/// worker of the cluster shares; what binds a nanny to its own worker is a random nanny id it
/// hands that worker on their private pipe: the worker registers with it (RegisterWorker.nanny_id),
/// the nanny reports with it (WorkerDied.nanny_id). A report is taken only for a worker that
/// registered with the same id, so one worker's nanny cannot declare another worker dead. A
/// report about a worker not registered (gone already, or not yet) is kept for a while, bound to
/// its id, and explains only the departure of a registration with that id. Pure: no I/O.
/// </summary>
internal sealed class NannyReports
{
    /// <summary>How long (s) a report stays applicable to the next departure of that worker.</summary>
    public const double Lifetime = 10;

    // By worker name and nanny id: a report under another id cannot overwrite the real one.
    private readonly Dictionary<(string Name, string NannyId), (string Cause, double At)> _early = new();

    /// <summary>Why a report is refused (null: taken), given the live registration of that name if there is one.</summary>
    public static string? Refusal(WorkerDied report, RegisterWorker? live)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (string.IsNullOrEmpty(report.NannyId)) return $"the report about worker '{report.Name}' carries no nanny id";
        if (live is null) return null;
        if (string.IsNullOrEmpty(live.NannyId)) return $"worker '{report.Name}' runs under no nanny";
        return string.Equals(live.NannyId, report.NannyId, StringComparison.Ordinal)
            ? null
            : $"the report's nanny id is not the one worker '{report.Name}' registered with";
    }

    /// <summary>Keeps a taken report about a worker not registered now, for its next departure.</summary>
    public void Remember(WorkerDied report, double now)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var (key, old) in _early.ToArray())
        {
            if (now - old.At >= Lifetime) _early.Remove(key);
        }

        _early[(report.Name, report.NannyId)] = (report.Cause, now);
    }

    /// <summary>The cause a nanny reported for <paramref name="departing"/>, if its own nanny did so lately; consumed.</summary>
    public string? Take(RegisterWorker departing, double now)
    {
        ArgumentNullException.ThrowIfNull(departing);
        // Another nanny's report (a stale one, or a forged one) leaves this worker's departure unexplained.
        if (string.IsNullOrEmpty(departing.NannyId) || !_early.Remove((departing.Name, departing.NannyId), out var report)) return null;
        return now - report.At < Lifetime ? report.Cause : null;
    }
}

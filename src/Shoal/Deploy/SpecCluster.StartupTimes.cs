using System.Collections.Concurrent;
using System.Diagnostics;
using Shoal.Scheduling;

namespace Shoal.Deploy;

public sealed partial class SpecCluster
{
    private readonly StartupClock _startups;

    /// <summary>
    /// Each worker's time from being requested (its launch began) to its registration with the
    /// scheduler, by name, for the workers that registered; the measure of how fast a launcher starts workers.
    /// </summary>
    public IReadOnlyDictionary<string, TimeSpan> StartupTimes => _startups.Times;
}

/// <summary>Stamps when each worker was requested and, from the scheduler's registration event, how long it took.</summary>
internal sealed class StartupClock : IDisposable
{
    private readonly SchedulerServer? _scheduler;
    private readonly ConcurrentDictionary<string, long> _requested = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TimeSpan> _times = new(StringComparer.Ordinal);

    /// <param name="scheduler">An in-process scheduler whose registration events time each worker; null for a
    /// remote one, whose workers are timed by <see cref="RegisteredByNow"/> (an upper bound: when a wait saw them).</param>
    public StartupClock(SchedulerServer? scheduler)
    {
        _scheduler = scheduler;
        if (scheduler is not null) scheduler.WorkerRegistered += Registered;
    }

    /// <summary>Counts <paramref name="names"/> as registered now, for workers of a scheduler in another process.</summary>
    public void RegisteredByNow(IEnumerable<string> names)
    {
        foreach (var name in names) Registered(name);
    }

    public IReadOnlyDictionary<string, TimeSpan> Times => new Dictionary<string, TimeSpan>(_times, StringComparer.Ordinal);

    public void Requested(string name) => _requested[name] = Stopwatch.GetTimestamp();

    // Only the first registration counts: a worker that reconnects has long started.
    private void Registered(string name)
    {
        if (_requested.TryRemove(name, out var requested)) _times.TryAdd(name, Stopwatch.GetElapsedTime(requested));
    }

    public void Dispose()
    {
        if (_scheduler is not null) _scheduler.WorkerRegistered -= Registered;
    }
}

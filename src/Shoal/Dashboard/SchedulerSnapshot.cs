namespace Shoal.Dashboard;

/// <summary>
/// The scheduler's state as the dashboard shows it, copied on the scheduler loop when the
/// dashboard asks (at most once per tick) and then only read, from any thread.
/// </summary>
internal sealed record SchedulerSnapshot
{
    /// <summary>Scheduler clock (seconds since it started) when the copy was made.</summary>
    public required double Time { get; init; }

    /// <summary>Wall-clock time of the copy.</summary>
    public required DateTimeOffset Taken { get; init; }

    /// <summary>Tasks per state, named by <see cref="SchedulerObserver.StateNames"/> at the same index.</summary>
    public required int[] StateCounts { get; init; }

    public required GroupSnapshot[] Groups { get; init; }

    public required WorkerSnapshot[] Workers { get; init; }

    public required int Clients { get; init; }

    /// <summary>Task-done reports received since the scheduler started.</summary>
    public required long TasksDone { get; init; }

    /// <summary>Workers the current load wants (Dask's adaptive_target).</summary>
    public required int AdaptiveTarget { get; init; }
}

/// <summary>One task group (the key's prefix before its last '-').</summary>
/// <param name="Name">The group's name.</param>
/// <param name="States">Tasks per state (Forgotten: forgotten so far, cumulative).</param>
/// <param name="AverageDuration">Measured average duration in seconds, -1 when none finished yet.</param>
internal sealed record GroupSnapshot(string Name, int[] States, double AverageDuration);

/// <summary>One registered worker as its last heartbeat and the scheduler's books describe it.</summary>
internal sealed record WorkerSnapshot
{
    public required int Id { get; init; }
    public required string Name { get; init; }
    public required string Address { get; init; }
    public required int Threads { get; init; }
    public required long MemoryLimit { get; init; }
    public required int Processing { get; init; }
    public required double Occupancy { get; init; }
    public required int HeldResults { get; init; }
    public required long ManagedBytes { get; init; }
    public required long SpilledBytes { get; init; }
    public required long ProcessMemory { get; init; }
    public required double Cpu { get; init; }
    public required bool Paused { get; init; }
    public required bool Retiring { get; init; }
    /// <summary>Seconds since the scheduler last heard from it.</summary>
    public required double LastSeenAgo { get; init; }
    /// <summary>The worker's own HTTP endpoint (metrics), empty when it has none.</summary>
    public required string HttpAddress { get; init; }
}

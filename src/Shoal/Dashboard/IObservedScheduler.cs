namespace Shoal.Dashboard;

/// <summary>
/// What the dashboard and the meters may ask of the scheduler they watch: its observer stream,
/// reads run on its loop, and the one control the dashboard offers (retiring workers). The
/// scheduler implements it; this part never names the scheduler's types, so the scheduler can
/// start its dashboard without the two depending on each other.
/// </summary>
internal interface IObservedScheduler
{
    /// <summary>The scheduler's id.</summary>
    string Id { get; }

    /// <summary>The scheduler's address.</summary>
    string Address { get; }

    /// <summary>The task ring and snapshots the loop publishes.</summary>
    SchedulerObserver Observer { get; }

    /// <summary>The scheduler's instruments, served at /metrics (null when it has none).</summary>
    Metrics.SchedulerMetrics? MetricsInstruments { get; }

    /// <summary>A snapshot taken now, on the loop.</summary>
    Task<SchedulerSnapshot> SnapshotAsync();

    /// <summary>The adaptive target, read on the loop.</summary>
    Task<int> AdaptiveTargetAsync();

    /// <summary>The current graph, read on the loop; null when it has more than <paramref name="maxTasks"/> tasks.</summary>
    Task<ObservedGraph?> GraphAsync(int maxTasks);

    /// <summary>The workers' log lines kept after <paramref name="after"/> (of one worker, by name or address, when given) at <paramref name="minLevel"/> or above, and the last sequence number given; read on the loop.</summary>
    Task<(List<Protocol.Messages.WorkerLogLine> Lines, ulong Last)> WorkerLogsAsync(ulong after, string? worker, int minLevel);

    /// <summary>The options a person may want to see on /info (no credentials).</summary>
    object DescribeOptions();

    /// <summary>Retires <paramref name="workers"/> (names or addresses) or, when empty, <paramref name="count"/> workers; returns those retired.</summary>
    Task<string[]> RetireWorkersAsync(IReadOnlyList<string> workers, int count);
}

/// <summary>A small graph as the dashboard draws it: per task its key, group, state name and dependencies (indexes into the keys).</summary>
internal sealed record ObservedGraph(string[] Keys, string[] Groups, string[] States, int[][] Dependencies);

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shoal.Dashboard;

/// <summary>
/// The JSON the dashboard's pages and its API (/api/v1/) send. Snake case, as Dask's API.
/// Documented in docs/dashboard.md; change both together.
/// </summary>
internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>Counts per state by name (<paramref name="names"/>: <see cref="SchedulerObserver.StateNames"/>).</summary>
    public static Dictionary<string, int> States(IReadOnlyList<string> names, int[] counts)
    {
        var states = new Dictionary<string, int>(names.Count);
        for (int i = 0; i < names.Count && i < counts.Length; i++) states[names[i]] = counts[i];
        return states;
    }
}

/// <summary>One update of the live stream (server-sent event "update"), aggregated over one interval.</summary>
internal sealed record StatusUpdate(
    double Time,
    DateTimeOffset Taken,
    Dictionary<string, int> States,
    GroupStatus[] Groups,
    WorkerStatus[] Workers,
    int Clients,
    long TasksDone,
    double TasksPerSecond,
    int AdaptiveTarget,
    TaskBar[] Stream,
    long StreamEvents,
    long StreamLost);

/// <summary>A task group: counts by state (from the scheduler's books) and what the stream taught.</summary>
internal sealed record GroupStatus(
    string Name,
    Dictionary<string, int> States,
    double AverageDuration,
    long Done,
    long Erred,
    double TotalSeconds,
    long Bytes);

/// <summary>A worker as /status and /workers show it.</summary>
internal sealed record WorkerStatus(
    int Id,
    string Name,
    string Address,
    int Threads,
    long MemoryLimit,
    int Processing,
    double Occupancy,
    int HeldResults,
    long ManagedBytes,
    long SpilledBytes,
    long ProcessMemory,
    double Cpu,
    bool Paused,
    bool Retiring,
    double LastSeenAgo,
    string HttpAddress)
{
    public static WorkerStatus Of(WorkerSnapshot w) => new(w.Id, w.Name, w.Address, w.Threads, w.MemoryLimit, w.Processing, w.Occupancy,
        w.HeldResults, w.ManagedBytes, w.SpilledBytes, w.ProcessMemory, w.Cpu, w.Paused, w.Retiring, w.LastSeenAgo, w.HttpAddress);
}

/// <summary>One bar of the task stream: a task on a worker from start to stop (scheduler clock, seconds).</summary>
internal sealed record TaskBar(int Worker, string Group, double Start, double Stop, string Kind);

/// <summary>A task group's duration histogram (/api/v1/tasks).</summary>
internal sealed record GroupDetail(string Name, Dictionary<string, int> States, long Done, long Erred, double TotalSeconds, long Bytes,
    double AverageDuration, double[] BucketStarts, long[] Histogram);

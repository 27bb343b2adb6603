using System.Diagnostics.Metrics;

namespace Shoal.Execution;

/// <summary>
/// A worker's instruments (meter <c>Shoal.Worker</c>, one <see cref="Meter"/> per worker server),
/// Dask's worker metrics as the minimum: tasks by state, task durations per group, transfer bytes
/// and durations, memory by kind, spills, event-loop lag, bytes served to peers. Gauges read the
/// figures the worker loop publishes with each heartbeat (<see cref="Publish"/>), never the state;
/// counters and histograms are fed by the loop and the transfer tasks as things happen. Exported
/// as Prometheus text by the worker's HTTP endpoint (<c>--http-port</c>) or through OpenTelemetry
/// (<c>--otlp-endpoint</c>); with no listener, recording a value costs a flag test.
/// </summary>
internal sealed class WorkerInstruments : IDisposable
{
    public const string MeterName = "Shoal.Worker";

    /// <summary>Groups kept apart in the task-duration histogram; tasks of further groups count as "other".</summary>
    private const int MaxGroups = 1000;

    private readonly Histogram<double> _taskDuration;
    private readonly Counter<long> _tasksFinished;
    private readonly Counter<long> _transferBytes;
    private readonly Histogram<double> _transferDuration;
    private readonly Counter<long> _servedBytes;
    private readonly Counter<long> _transferFailures;
    private readonly Dictionary<string, string> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _groupLookup;
    private volatile WorkerGauges _gauges = WorkerGauges.None;
    private double _loopLag;

    /// <param name="worker">The worker's name: a tag on the meter, so exports of several workers in one process stay apart.</param>
    public WorkerInstruments(string worker)
    {
        Meter = new Meter(MeterName, Protocol.ProtocolVersion.ShoalVersion, [new KeyValuePair<string, object?>("worker", worker)]);
        _groupLookup = _groups.GetAlternateLookup<ReadOnlySpan<char>>();
        Meter.CreateObservableGauge("tasks", TasksByState, "{task}", "Tasks on this worker by state (executing, ready, memory)");
        Meter.CreateObservableGauge("threads", () => _gauges.Threads, "{thread}", "Threads that run tasks");
        Meter.CreateObservableGauge("memory", MemoryByKind, "By", "Memory by kind (managed: results held; unmanaged: the rest of the process; spilled: on disk)");
        Meter.CreateObservableGauge("memory.limit", () => _gauges.MemoryLimit, "By", "The worker's memory limit (0: none)");
        Meter.CreateObservableGauge("memory.process", () => _gauges.ProcessMemory, "By", "Resident memory of the worker's process");
        Meter.CreateObservableCounter("spills", () => _gauges.SpillCount, "{value}", "Results spilled to disk so far");
        Meter.CreateObservableGauge("paused", () => _gauges.Paused ? 1 : 0, "{flag}", "1 while the worker starts no new task for memory");
        Meter.CreateObservableGauge("cpu", () => _gauges.Cpu, "%", "CPU use of the worker's process, percent of one core");
        Meter.CreateObservableGauge("event_loop.lag", () => Volatile.Read(ref _loopLag), "s", "How late the worker loop handled its last heartbeat tick");
        _taskDuration = Meter.CreateHistogram<double>("task.duration", "s", "Task execution time per task group");
        _tasksFinished = Meter.CreateCounter<long>("tasks.finished", "{task}", "Task executions finished, by outcome");
        _transferBytes = Meter.CreateCounter<long>("transfer.bytes", "By", "Bytes of dependencies fetched from peers");
        _transferDuration = Meter.CreateHistogram<double>("transfer.duration", "s", "Time of each fetch from a peer");
        _transferFailures = Meter.CreateCounter<long>("transfer.failures", "{transfer}", "Fetches from peers that failed");
        _servedBytes = Meter.CreateCounter<long>("data_served.bytes", "By", "Bytes of results served to peers and clients");
        Meter.CreateObservableCounter("journal.recovered", () => Interlocked.Read(ref _journalValues), "{value}",
            "Results recovered from the result journal when the worker (re)started under its nanny");
        Meter.CreateObservableCounter("journal.recovered.bytes", () => Interlocked.Read(ref _journalBytes), "By", "Bytes of results recovered from the result journal");
        Traffic.AddInstruments(Meter);
    }

    private long _journalValues, _journalBytes;

    /// <summary>The worker's connections (scheduler, peers it fetches from, peers and clients it serves): frames and bytes per role.</summary>
    public Comm.ConnectionTraffic Traffic { get; } = new();

    /// <summary>Start-up: results recovered from the journal.</summary>
    public void JournalRecovered(int values, long bytes)
    {
        Interlocked.Add(ref _journalValues, values);
        Interlocked.Add(ref _journalBytes, bytes);
    }

    public Meter Meter { get; }

    /// <summary>Loop side, on each heartbeat: the figures the gauges show until the next one.</summary>
    public void Publish(WorkerGauges gauges) => _gauges = gauges;

    /// <summary>Loop side: how late a heartbeat tick was handled.</summary>
    public void LoopLag(double seconds) => Volatile.Write(ref _loopLag, Math.Max(0, seconds));

    /// <summary>Loop side: a task run ended.</summary>
    public void TaskFinished(string key, double seconds, bool succeeded)
    {
        if (!_taskDuration.Enabled && !_tasksFinished.Enabled) return;
        _taskDuration.Record(Math.Max(0, seconds), new KeyValuePair<string, object?>("group", GroupOf(key)));
        _tasksFinished.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? "success" : "failure"));
    }

    /// <summary>Transfer side: a fetch from a peer ended.</summary>
    public void Fetched(long bytes, double seconds, bool succeeded)
    {
        if (!succeeded)
        {
            _transferFailures.Add(1);
            return;
        }

        _transferBytes.Add(bytes);
        _transferDuration.Record(Math.Max(0, seconds));
    }

    /// <summary>Data plane: bytes sent to a peer or client.</summary>
    public void Served(long bytes)
    {
        if (bytes > 0) _servedBytes.Add(bytes);
    }

    /// <summary>
    /// The task group of a key (its prefix before the last '-', as the scheduler groups), without a
    /// string per task: each group's name is made once, and at most <see cref="MaxGroups"/> of them.
    /// </summary>
    private string GroupOf(string key)
    {
        var span = Protocol.TaskGroupName.Span(key);
        if (_groupLookup.TryGetValue(span, out var name)) return name;
        if (_groups.Count >= MaxGroups) return "other";
        name = span.ToString();
        _groups[name] = name;
        return name;
    }

    private IEnumerable<Measurement<int>> TasksByState()
    {
        var g = _gauges;
        yield return new Measurement<int>(g.Executing, new KeyValuePair<string, object?>("state", "executing"));
        yield return new Measurement<int>(g.Ready, new KeyValuePair<string, object?>("state", "ready"));
        yield return new Measurement<int>(g.StoredKeys, new KeyValuePair<string, object?>("state", "memory"));
    }

    private IEnumerable<Measurement<long>> MemoryByKind()
    {
        var g = _gauges;
        yield return new Measurement<long>(g.ManagedBytes, new KeyValuePair<string, object?>("kind", "managed"));
        yield return new Measurement<long>(Math.Max(0, g.ProcessMemory - g.ManagedBytes), new KeyValuePair<string, object?>("kind", "unmanaged"));
        yield return new Measurement<long>(g.SpilledBytes, new KeyValuePair<string, object?>("kind", "spilled"));
    }

    public void Dispose() => Meter.Dispose();
}

/// <summary>What a worker's gauges show: copied by its loop at each heartbeat, then only read.</summary>
internal sealed record WorkerGauges
{
    public static readonly WorkerGauges None = new();

    public int Threads { get; init; }
    public int Executing { get; init; }
    public int Ready { get; init; }
    public int StoredKeys { get; init; }
    public long ManagedBytes { get; init; }
    public long SpilledBytes { get; init; }
    public long SpillCount { get; init; }
    public long ProcessMemory { get; init; }
    public long MemoryLimit { get; init; }
    public double Cpu { get; init; }
    public bool Paused { get; init; }
}

using System.Diagnostics.Metrics;
using Shoal.Dashboard;

namespace Shoal.Metrics;

/// <summary>
/// The scheduler's instruments (meter <c>Shoal.Scheduler</c>), Dask's scheduler metrics as the
/// minimum. Gauges and counters read the observer's latest snapshot (taken on the scheduler loop
/// just before each scrape), never the state; task durations are recorded by the dashboard's feed
/// as it drains the task ring, off the loop. One meter per scheduler instance.
/// </summary>
internal sealed class SchedulerMetrics : IDisposable
{
    public const string MeterName = "Shoal.Scheduler";

    private readonly SchedulerObserver _observer;
    private readonly Histogram<double> _taskDuration;
    private readonly Counter<long> _taskBytes;

    private readonly Func<Task<SchedulerSnapshot>>? _refresh;

    /// <param name="observer">The scheduler's observer stream.</param>
    /// <param name="refresh">Takes a snapshot on the scheduler loop now (null: use the latest as it is).</param>
    public SchedulerMetrics(SchedulerObserver observer, Func<Task<SchedulerSnapshot>>? refresh = null)
    {
        _observer = observer;
        _refresh = refresh;
        _forgotten = observer.StateNames.ToList().IndexOf("forgotten");
        Meter = new Meter(MeterName, Protocol.ProtocolVersion.ShoalVersion);
        Meter.CreateObservableGauge("workers", () => Latest?.Workers.Length ?? 0, "{worker}", "Workers registered");
        Meter.CreateObservableGauge("clients", () => Latest?.Clients ?? 0, "{client}", "Clients connected");
        Meter.CreateObservableGauge("threads", () => Latest?.Workers.Sum(w => w.Threads) ?? 0, "{thread}", "Worker threads in the cluster");
        Meter.CreateObservableGauge("tasks", TasksByState, "{task}", "Tasks the scheduler knows, by state");
        Meter.CreateObservableCounter("tasks.finished", () => Latest?.TasksDone ?? 0, "{task}", "Task executions reported finished");
        Meter.CreateObservableCounter("tasks.forgotten", () => Latest?.Groups.Sum(g => (long)(_forgotten < 0 ? 0 : g.States[_forgotten])) ?? 0, "{task}", "Tasks forgotten (done and released)");
        Meter.CreateObservableGauge("task_groups", () => Latest?.Groups.Length ?? 0, "{group}", "Task groups seen");
        Meter.CreateObservableGauge("worker.memory", WorkerMemory, "By", "Worker memory by kind (managed, unmanaged, spilled) as last reported");
        Meter.CreateObservableGauge("worker.memory_limit", () => PerWorker(w => w.MemoryLimit), "By", "Worker memory limits");
        Meter.CreateObservableGauge("worker.processing", () => PerWorker(w => (long)w.Processing), "{task}", "Tasks processing per worker");
        Meter.CreateObservableGauge("worker.cpu", () => PerWorkerDouble(w => w.Cpu), "%", "Worker CPU as last reported");
        Meter.CreateObservableGauge("memory.spilled", () => Latest?.Workers.Sum(w => w.SpilledBytes) ?? 0, "By", "Bytes spilled to disk over all workers");
        Meter.CreateObservableGauge("adaptive_target", () => Latest?.AdaptiveTarget ?? 0, "{worker}", "Workers the current load wants");
        Meter.CreateObservableGauge("event_loop.lag", () => Volatile.Read(ref _loopLag), "s", "How late the scheduler loop handled its last tick");
        Meter.CreateObservableCounter("task_stream.lost", () => Volatile.Read(ref _streamLost), "{event}", "Task events the observers read too late (the ring overwrote them)");
        _taskDuration = Meter.CreateHistogram<double>("task.duration", "s", "Task execution time per task group");
        _taskBytes = Meter.CreateCounter<long>("task.result_bytes", "By", "Bytes of results produced per task group");
    }

    private readonly int _forgotten; // index of the forgotten state: counted apart, cumulative
    private double _loopLag;
    private long _streamLost;

    public Meter Meter { get; }

    /// <summary>
    /// The snapshot the instruments read: a scrape's first callback takes a fresh one on the loop
    /// (a scrape thread waits for it, at most 5 s; scrapes are seconds apart), the others reuse it.
    /// </summary>
    private SchedulerSnapshot? Latest
    {
        get
        {
            var latest = _observer.Latest;
            if (_refresh is null || (latest is not null && DateTimeOffset.UtcNow - latest.Taken < FreshEnough)) return latest;
            var fresh = _refresh();
            return fresh.Wait(TimeSpan.FromSeconds(5)) ? fresh.Result : latest;
        }
    }

    private static readonly TimeSpan FreshEnough = TimeSpan.FromMilliseconds(200);

    /// <summary>Loop side, on a tick: how late the tick was handled.</summary>
    public void LoopLag(double seconds) => Volatile.Write(ref _loopLag, seconds);

    /// <summary>Feed side: one finished or failed task.</summary>
    public void TaskFinished(string group, double seconds, long nbytes)
    {
        var tag = new KeyValuePair<string, object?>("group", group);
        _taskDuration.Record(Math.Max(0, seconds), tag);
        if (nbytes > 0) _taskBytes.Add(nbytes, tag);
    }

    /// <summary>Feed side: events lost so far.</summary>
    public void StreamLost(long lost) => Volatile.Write(ref _streamLost, lost);

    private IEnumerable<Measurement<int>> TasksByState()
    {
        if (Latest is not { } s) yield break;
        for (int i = 0; i < s.StateCounts.Length; i++)
        {
            if (i == _forgotten) continue;
            yield return new Measurement<int>(s.StateCounts[i], new KeyValuePair<string, object?>("state", _observer.StateNames[i]));
        }
    }

    private IEnumerable<Measurement<long>> WorkerMemory()
    {
        if (Latest is not { } s) yield break;
        foreach (var w in s.Workers)
        {
            var worker = new KeyValuePair<string, object?>("worker", w.Name);
            yield return new Measurement<long>(w.ManagedBytes, worker, new("kind", "managed"));
            yield return new Measurement<long>(Math.Max(0, w.ProcessMemory - w.ManagedBytes), worker, new("kind", "unmanaged"));
            yield return new Measurement<long>(w.SpilledBytes, worker, new("kind", "spilled"));
        }
    }

    private IEnumerable<Measurement<long>> PerWorker(Func<WorkerSnapshot, long> value) =>
        Latest?.Workers.Select(w => new Measurement<long>(value(w), new KeyValuePair<string, object?>("worker", w.Name))) ?? [];

    private IEnumerable<Measurement<double>> PerWorkerDouble(Func<WorkerSnapshot, double> value) =>
        Latest?.Workers.Select(w => new Measurement<double>(value(w), new KeyValuePair<string, object?>("worker", w.Name))) ?? [];

    public void Dispose() => Meter.Dispose();
}

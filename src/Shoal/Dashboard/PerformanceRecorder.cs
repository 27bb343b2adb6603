using System.Text.Json;

namespace Shoal.Dashboard;

/// <summary>
/// Records what the cluster does while a client's performance report is open: every task
/// finished or failed (from the observer's task ring, with its own cursor, so the dashboard's feed
/// is not disturbed), and the workers' memory once a second (from snapshots taken on the
/// scheduler loop). Off the loop, bounded: at most <see cref="MaxTasks"/> tasks are kept (the
/// rest are counted), and a reader too slow for the ring loses events (counted too).
/// </summary>
internal sealed class PerformanceRecorder : IAsyncDisposable
{
    public const int MaxTasks = 200_000;
    private static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(250);
    private const int DrainsPerSample = 4;

    private readonly SchedulerObserver _observer;
    private readonly Func<Task<SchedulerSnapshot>> _snapshot;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<TaskStreamEvent> _tasks = [];
    private readonly List<TaskStreamEvent> _marks = [];
    private readonly Dictionary<int, double> _clockOffsets = new();
    private readonly Dictionary<int, (string Name, int Threads)> _workers = new();
    private readonly List<(double Time, int Worker, long Managed, long Unmanaged, long Spilled)> _memory = [];
    private readonly TaskStreamEvent[] _buffer = new TaskStreamEvent[4096];
    private long _cursor;
    private long _lost;
    private long _beyond;
    private double _startTime = double.NaN;
    private double _lastTime;
    private Task _loop = Task.CompletedTask;

    private PerformanceRecorder(SchedulerObserver observer, Func<Task<SchedulerSnapshot>> snapshot)
    {
        _observer = observer;
        _snapshot = snapshot;
        _cursor = observer.Stream.Written; // only what happens from now on
    }

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public static PerformanceRecorder Start(SchedulerObserver observer, Func<Task<SchedulerSnapshot>> snapshot)
    {
        var recorder = new PerformanceRecorder(observer, snapshot);
        recorder._loop = Task.Run(recorder.RunAsync);
        return recorder;
    }

    private async Task RunAsync()
    {
        try
        {
            await SampleAsync().ConfigureAwait(false);
            using var timer = new PeriodicTimer(DrainInterval);
            for (int tick = 1; await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false); tick++)
            {
                Drain();
                if (tick % DrainsPerSample == 0) await SampleAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // stopped
        }
        catch (ObjectDisposedException)
        {
            // the scheduler stopped: nothing more to record
        }
    }

    private void Drain()
    {
        lock (_gate)
        {
            int n;
            while ((n = _observer.Stream.Read(ref _cursor, _buffer, out var lost)) > 0 || lost > 0)
            {
                _lost += lost;
                for (int i = 0; i < n; i++)
                {
                    ref var e = ref _buffer[i];
                    // The worker's clock against the scheduler's: the smallest (received - stop) seen.
                    double offset = e.Received - e.Stop;
                    if (!_clockOffsets.TryGetValue(e.Worker, out var known) || offset < known) _clockOffsets[e.Worker] = offset;
                    if (e.Kind is TaskStreamKind.Transfer or TaskStreamKind.Spill)
                    {
                        if (_marks.Count < MaxTasks) _marks.Add(e);
                        continue;
                    }

                    if (_tasks.Count < MaxTasks) _tasks.Add(e);
                    else _beyond++;
                }

                if (n == 0) break;
            }
        }
    }

    private async Task SampleAsync()
    {
        var s = await _snapshot().ConfigureAwait(false);
        lock (_gate)
        {
            if (double.IsNaN(_startTime)) _startTime = s.Time;
            _lastTime = s.Time;
            foreach (var w in s.Workers)
            {
                _workers[w.Id] = (w.Name, w.Threads);
                _memory.Add((s.Time, w.Id, w.ManagedBytes, Math.Max(0, w.ProcessMemory - w.ManagedBytes), w.SpilledBytes));
            }
        }
    }

    /// <summary>Ends the recording and returns it as the JSON the report's page reads.</summary>
    public async Task<byte[]> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await SampleAsync().ConfigureAwait(false);
        Drain();
        lock (_gate) return Json();
    }

    private byte[] Json()
    {
        var start = double.IsNaN(_startTime) ? 0 : _startTime;
        var groups = new Dictionary<string, int>(StringComparer.Ordinal);
        var workerIndex = new Dictionary<int, int>();
        int WorkerIndex(int id) => workerIndex.TryGetValue(id, out var i) ? i : workerIndex[id] = workerIndex.Count;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("started", Started);
            json.WriteNumber("duration_s", Math.Max(0, _lastTime - start));
            json.WriteNumber("lost", _lost);
            json.WriteNumber("truncated", _beyond);
            json.WriteStartArray("tasks");
            foreach (var e in _tasks)
            {
                var name = Protocol.TaskGroupName.Of(e.Key);
                if (!groups.TryGetValue(name, out var g)) groups[name] = g = groups.Count;
                var offset = _clockOffsets.GetValueOrDefault(e.Worker, e.Received - e.Stop);
                json.WriteStartArray();
                json.WriteNumberValue(g);
                json.WriteNumberValue(WorkerIndex(e.Worker));
                json.WriteNumberValue(Math.Round(e.Start + offset - start, 6));
                json.WriteNumberValue(Math.Round(e.Stop + offset - start, 6));
                json.WriteNumberValue(e.Kind == TaskStreamKind.Erred ? 1 : 0);
                json.WriteNumberValue(e.Nbytes);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            foreach (var (kind, name) in new[] { (TaskStreamKind.Transfer, "transfers"), (TaskStreamKind.Spill, "spills") })
            {
                // [worker, peer (transfers) or "", start, stop, bytes]
                json.WriteStartArray(name);
                foreach (var e in _marks)
                {
                    if (e.Kind != kind) continue;
                    var offset = _clockOffsets.GetValueOrDefault(e.Worker, e.Received - e.Stop);
                    json.WriteStartArray();
                    json.WriteNumberValue(WorkerIndex(e.Worker));
                    json.WriteStringValue(kind == TaskStreamKind.Transfer ? e.Key : "");
                    json.WriteNumberValue(Math.Round(e.Start + offset - start, 6));
                    json.WriteNumberValue(Math.Round(e.Stop + offset - start, 6));
                    json.WriteNumberValue(e.Nbytes);
                    json.WriteEndArray();
                }

                json.WriteEndArray();
            }

            json.WriteStartArray("memory");
            foreach (var m in _memory)
            {
                json.WriteStartArray();
                json.WriteNumberValue(Math.Round(m.Time - start, 3));
                json.WriteNumberValue(WorkerIndex(m.Worker));
                json.WriteNumberValue(m.Managed);
                json.WriteNumberValue(m.Unmanaged);
                json.WriteNumberValue(m.Spilled);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteStartArray("groups");
            foreach (var name in groups.OrderBy(p => p.Value)) json.WriteStringValue(name.Key);
            json.WriteEndArray();
            json.WriteStartArray("workers");
            foreach (var (id, index) in workerIndex.OrderBy(p => p.Value))
            {
                var (name, threads) = _workers.GetValueOrDefault(id, ($"worker {id}", 1));
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteNumber("threads", threads);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}

using System.Threading.Channels;

namespace Shoal.Dashboard;

/// <summary>
/// The dashboard's aggregator: on its own timer (never on the scheduler loop) it drains the
/// observer's task ring, keeps per-group totals and the recent task bars, and, while someone
/// watches, asks for a snapshot and sends every subscriber one update per interval. What a
/// browser receives per interval is bounded (at most <see cref="MaxBarsPerUpdate"/> bars, one
/// entry per group and worker) whatever the number of tasks, and a subscriber that stops reading
/// keeps at most <see cref="SubscriberBacklog"/> updates queued: older ones are dropped.
/// </summary>
internal sealed class DashboardFeed : IAsyncDisposable
{
    public const int MaxBarsPerUpdate = 1000;
    public const int SubscriberBacklog = 4;
    private const int RecentBars = 4000;

    private readonly SchedulerObserver _observer;

    /// <summary>The task states' names (the observer's).</summary>
    public IReadOnlyList<string> StateNames => _observer.StateNames;
    private readonly TimeSpan _interval;
    private readonly TaskStreamEvent[] _buffer;
    private readonly Dictionary<string, GroupAccumulator> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GroupAccumulator>.AlternateLookup<ReadOnlySpan<char>> _groupLookup;
    private readonly Dictionary<int, double> _clockOffsets = new();
    private readonly Queue<TaskBar> _recent = new();
    private readonly List<Channel<byte[]>> _subscribers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _cursor;
    private long _events;
    private long _lost;
    private long _lastTasksDone = -1;
    private double _lastTime;
    private StatusUpdate? _last;

    private readonly Metrics.SchedulerMetrics? _metrics;

    public DashboardFeed(SchedulerObserver observer, TimeSpan interval, Metrics.SchedulerMetrics? metrics = null)
    {
        _observer = observer;
        _metrics = metrics;
        _interval = interval;
        _buffer = new TaskStreamEvent[observer.Stream.Capacity];
        _groupLookup = _groups.GetAlternateLookup<ReadOnlySpan<char>>();
        _cursor = observer.Stream.Written;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Number of live subscribers (tests).</summary>
    public int Subscribers
    {
        get { lock (_subscribers) return _subscribers.Count; }
    }

    /// <summary>Updates sent to subscribers so far (tests).</summary>
    public long Broadcasts => Interlocked.Read(ref _broadcasts);

    private long _broadcasts;

    /// <summary>The most updates any subscriber has queued, unread (bounded by <see cref="SubscriberBacklog"/>).</summary>
    public int LargestBacklog
    {
        get
        {
            lock (_subscribers) return _subscribers.Count == 0 ? 0 : _subscribers.Max(s => s.Reader.Count);
        }
    }

    /// <summary>The latest update, null before the first.</summary>
    public StatusUpdate? Last => Volatile.Read(ref _last);

    /// <summary>A new subscriber: a bounded queue of serialized updates (the oldest is dropped when full).</summary>
    public ChannelReader<byte[]> Subscribe(out IDisposable subscription)
    {
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(SubscriberBacklog)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true,
        });
        lock (_subscribers) _subscribers.Add(channel);
        _observer.RequestSnapshot();
        subscription = new Unsubscribe(this, channel);
        if (Last is { } last) channel.Writer.TryWrite(DashboardJson.Serialize(last));
        return channel.Reader;
    }

    /// <summary>Per-group details for /tasks (a copy, taken on the feed's thread between intervals).</summary>
    public GroupDetail[] GroupDetails(SchedulerSnapshot? snapshot)
    {
        lock (_groups)
        {
            var names = new SortedSet<string>(_groups.Keys, StringComparer.Ordinal);
            if (snapshot is not null) foreach (var g in snapshot.Groups) names.Add(g.Name);
            var starts = Enumerable.Range(0, GroupAccumulator.Buckets).Select(GroupAccumulator.BucketStart).ToArray();
            return names.Select(name =>
            {
                var acc = _groups.GetValueOrDefault(name);
                var book = snapshot?.Groups.FirstOrDefault(g => g.Name == name);
                return new GroupDetail(name, DashboardJson.States(_observer.StateNames, book?.States ?? []), acc?.Done ?? 0, acc?.Erred ?? 0, acc?.TotalSeconds ?? 0,
                    acc?.Bytes ?? 0, book?.AverageDuration ?? -1, starts, acc is null ? new long[GroupAccumulator.Buckets] : (long[])acc.Histogram.Clone());
            }).ToArray();
        }
    }

    /// <summary>The most recent task bars (up to a few thousand), oldest first.</summary>
    public TaskBar[] RecentTaskBars()
    {
        lock (_recent) return [.. _recent];
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var bars = DrainRing();
                if (Subscribers == 0) continue;
                _observer.RequestSnapshot();
                if (_observer.Latest is not { } snapshot) continue;
                Broadcast(BuildUpdate(snapshot, bars));
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    /// <summary>Reads what the scheduler wrote since last time: totals per group, and the bars to show (sampled past the cap).</summary>
    private List<TaskBar> DrainRing()
    {
        var bars = new List<TaskBar>();
        int n = _observer.Stream.Read(ref _cursor, _buffer, out long lost);
        _lost += lost;
        _events += n;
        _metrics?.StreamLost(_lost);
        int step = Math.Max(1, (n + MaxBarsPerUpdate - 1) / MaxBarsPerUpdate);
        lock (_groups)
        {
            for (int i = 0; i < n; i++)
            {
                ref var e = ref _buffer[i];
                if (e.Kind is TaskStreamKind.Transfer or TaskStreamKind.Spill)
                {
                    // Marks, not tasks: drawn (on the worker's clock as mapped so far), not counted in any group.
                    var shift = _clockOffsets.GetValueOrDefault(e.Worker, e.Received - e.Stop);
                    if (i % step == 0) bars.Add(new TaskBar(e.Worker, e.Kind == TaskStreamKind.Transfer ? "transfer" : "spill", e.Start + shift, e.Stop + shift,
                        e.Kind == TaskStreamKind.Transfer ? "transfer" : "spill"));
                    _buffer[i].Key = null!;
                    continue;
                }

                var group = GroupOf(e.Key);
                group.Add(e.Kind, e.Stop - e.Start, e.Nbytes);
                _metrics?.TaskFinished(group.Name, e.Stop - e.Start, e.Nbytes);
                // The worker's clock against the scheduler's: the smallest (received - stop) seen, i.e. offset plus the fastest delivery.
                double offset = e.Received - e.Stop;
                if (!_clockOffsets.TryGetValue(e.Worker, out var known) || offset < known) _clockOffsets[e.Worker] = known = offset;
                if (i % step == 0) bars.Add(new TaskBar(e.Worker, group.Name, e.Start + known, e.Stop + known, e.Kind == TaskStreamKind.Erred ? "erred" : "done"));
                _buffer[i].Key = null!; // the ring's copy keeps the key alive, not this buffer
            }
        }

        lock (_recent)
        {
            foreach (var bar in bars)
            {
                _recent.Enqueue(bar);
                if (_recent.Count > RecentBars) _recent.Dequeue();
            }
        }

        return bars;
    }

    private GroupAccumulator GroupOf(string key)
    {
        int dash = key.LastIndexOf('-');
        var prefix = dash > 0 ? key.AsSpan(0, dash) : key.AsSpan();
        if (_groupLookup.TryGetValue(prefix, out var group)) return group;
        var name = prefix.ToString();
        return _groups[name] = new GroupAccumulator(name);
    }

    private StatusUpdate BuildUpdate(SchedulerSnapshot snapshot, List<TaskBar> bars)
    {
        double rate = 0;
        if (_lastTasksDone >= 0 && snapshot.Time > _lastTime) rate = (snapshot.TasksDone - _lastTasksDone) / (snapshot.Time - _lastTime);
        if (snapshot.Time != _lastTime)
        {
            _lastTasksDone = snapshot.TasksDone;
            _lastTime = snapshot.Time;
        }

        GroupStatus[] groups;
        lock (_groups)
        {
            groups = snapshot.Groups.Select(g =>
            {
                var acc = _groups.GetValueOrDefault(g.Name);
                return new GroupStatus(g.Name, DashboardJson.States(_observer.StateNames, g.States), g.AverageDuration, acc?.Done ?? 0, acc?.Erred ?? 0, acc?.TotalSeconds ?? 0, acc?.Bytes ?? 0);
            }).ToArray();
        }

        var update = new StatusUpdate(snapshot.Time, snapshot.Taken, DashboardJson.States(_observer.StateNames, snapshot.StateCounts), groups,
            snapshot.Workers.Select(WorkerStatus.Of).ToArray(), snapshot.Clients, snapshot.TasksDone, rate, snapshot.AdaptiveTarget,
            [.. bars], _events, _lost);
        Volatile.Write(ref _last, update);
        return update;
    }

    private void Broadcast(StatusUpdate update)
    {
        var bytes = DashboardJson.Serialize(update);
        lock (_subscribers)
        {
            foreach (var s in _subscribers) s.Writer.TryWrite(bytes);
        }

        Interlocked.Increment(ref _broadcasts);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        lock (_subscribers)
        {
            foreach (var s in _subscribers) s.Writer.TryComplete();
            _subscribers.Clear();
        }

        _stop.Dispose();
    }

    private sealed class Unsubscribe(DashboardFeed feed, Channel<byte[]> channel) : IDisposable
    {
        public void Dispose()
        {
            lock (feed._subscribers) feed._subscribers.Remove(channel);
            channel.Writer.TryComplete();
        }
    }
}

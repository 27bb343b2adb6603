using Shoal.Dashboard;

namespace Shoal.Scheduling;

// What the scheduler loop gives its observers (dashboard, metrics, performance reports): task
// events into a lock-free ring as they arrive, and a snapshot of its books on a tick when asked.
internal sealed partial class SchedulerServer
{
    private readonly SchedulerObserver _observer = new(StateNames);

    /// <summary>The task states' names as observers show them (snake_case), indexed by <see cref="TaskState"/>.</summary>
    internal static readonly string[] StateNames =
        Enum.GetNames<TaskState>().Select(n => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(n)).ToArray();

    /// <summary>The observer stream this scheduler fills.</summary>
    internal SchedulerObserver Observer => _observer;

    /// <summary>Loop side, on every tick: copies the books if an observer asked since the last tick.</summary>
    private void PublishObservations(double now)
    {
        _metrics?.LoopLag(Math.Max(0, now - Volatile.Read(ref _tickWrittenAt)));
        if (_observer.TakeSnapshotRequest()) _observer.Publish(TakeSnapshot(now));
    }

    /// <summary>When the ticker queued the last tick (scheduler clock): the loop's lag is how much later it handled it.</summary>
    private double _tickWrittenAt;

    private SchedulerSnapshot TakeSnapshot(double now)
    {
        var states = new int[SchedulerState.StateKinds];
        _state.CopyStateCounts(states);
        int groupCount = _state.GroupCount;
        var perGroup = new int[groupCount * SchedulerState.StateKinds];
        _state.CopyGroupStateCounts(perGroup);
        var groups = new GroupSnapshot[groupCount];
        for (int g = 0; g < groupCount; g++)
        {
            groups[g] = new GroupSnapshot(_state.GroupName(g), perGroup.AsSpan(g * SchedulerState.StateKinds, SchedulerState.StateKinds).ToArray(), _state.GroupDurationOf(g));
        }

        var workers = new List<WorkerSnapshot>(_workers.Count);
        foreach (var session in _workers.Values)
        {
            var r = session.Registration!;
            var beat = session.LastHeartbeat;
            workers.Add(new WorkerSnapshot
            {
                Id = session.Id,
                Name = r.Name,
                Address = r.Address,
                Threads = (int)Math.Max(1, r.Nthreads),
                MemoryLimit = (long)r.MemoryLimit,
                Processing = _state.ProcessingCount(session.Id),
                Occupancy = _state.OccupancyOf(session.Id),
                HeldResults = _state.HasWhat(session.Id).Count,
                ManagedBytes = (long)(beat?.ManagedBytes ?? 0),
                SpilledBytes = (long)(beat?.SpilledBytes ?? 0),
                ProcessMemory = (long)(beat?.ProcessMemory ?? 0),
                Cpu = beat?.Cpu ?? 0,
                Paused = beat?.Paused ?? false,
                Retiring = _retiring.ContainsKey(session.Id),
                LastSeenAgo = Math.Max(0, now - session.LastSeen),
                HttpAddress = WorkerHttpAddressOf(r),
            });
        }

        workers.Sort((a, b) => a.Id.CompareTo(b.Id));
        return new SchedulerSnapshot
        {
            Time = now,
            Taken = DateTimeOffset.UtcNow,
            StateCounts = states,
            Groups = groups,
            Workers = [.. workers],
            Clients = _clients.Count,
            TasksDone = TasksDone,
            AdaptiveTarget = _state.AdaptiveTarget(),
        };
    }

    /// <summary>Runs <paramref name="read"/> on the scheduler loop (the only thread that may read the state) and returns its result.</summary>
    internal Task<T> OnLoopAsync<T>(Func<T> read)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Run()
        {
            try { done.TrySetResult(read()); }
            catch (Exception e) { done.TrySetException(e); }
        }

        if (!_events.Writer.TryWrite(SchedulerEvent.OnLoop(Run))) done.TrySetException(new ObjectDisposedException(nameof(SchedulerServer)));
        return done.Task;
    }

    /// <summary>A snapshot taken now, on the loop (API requests that must not wait for a tick).</summary>
    public Task<SchedulerSnapshot> SnapshotAsync() => OnLoopAsync(() =>
    {
        var snapshot = TakeSnapshot(Now);
        _observer.Publish(snapshot);
        return snapshot;
    });

    private static string WorkerHttpAddressOf(Protocol.Messages.RegisterWorker registration) => registration.HttpAddress;
}

using Microsoft.Extensions.Logging;
using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

// How workers leave: lost (connection closed, silent past worker-ttl, reported dead by their
// nanny), replaced (a worker of the same name registers again), or retired gracefully (its
// unique results are copied to other workers first, so nothing is recomputed). And when the
// scheduler itself may go: idle past idle-timeout.
internal sealed partial class SchedulerServer
{
    private readonly Dictionary<int, Retirement> _retiring = new();
    private readonly Dictionary<int, (Session Session, string Reason, double Deadline)> _awaitingNanny = new();
    // Causes nannies reported before the scheduler noticed the death, bound to their nanny id.
    private readonly NannyReports _nannyReports = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private double _idleSince = -1;
    private double _idleCheckedAt = -1;

    /// <summary>The scheduler clock (<see cref="ClockSeconds"/>) when the loop last applied the idle rule; -1 before (tests wait on it).</summary>
    internal double IdleCheckedAt => Volatile.Read(ref _idleCheckedAt);

    /// <summary>The scheduler's clock: seconds since it started.</summary>
    internal double ClockSeconds => Now;
    private double _nextRetirementCheck;
    private int _nextReplicaTarget;

    /// <summary>Completes when the scheduler had no client and no task for <see cref="SchedulerServerOptions.IdleTimeout"/>.</summary>
    public Task Idle => _idle.Task;

    /// <summary>
    /// Workers removed so far: the cause of each removal, when (scheduler clock, s), and how many
    /// results were lost with it (held by no other worker).
    /// </summary>
    internal IReadOnlyList<(string Worker, string Cause, double At, int Lost)> Departures
    {
        get { lock (_departures) return [.. _departures]; }
    }

    private readonly List<(string Worker, string Cause, double At, int Lost)> _departures = [];

    /// <summary>The last heartbeat of each worker, by name (tests and diagnostics).</summary>
    internal IReadOnlyList<(string Worker, Heartbeat? Beat)> Heartbeats
    {
        get { lock (_workers) return _workers.Values.Select(s => (s.Registration!.Name, s.LastHeartbeat)).ToArray(); }
    }

    /// <summary>The registered workers' names and process ids (tests and diagnostics).</summary>
    internal IReadOnlyList<(string Worker, int Pid)> WorkerProcesses
    {
        get { lock (_workers) return _workers.Values.Select(s => (s.Registration!.Name, s.Registration.Pid)).ToArray(); }
    }

    /// <summary>Lost results that came back with a worker registering with them (a replacement's journal; tests and benchmarks).</summary>
    internal long ResultsRecoveredOnRegistration => _state.ResultsRecoveredOnRegistration;

    /// <summary>TaskDone messages received: executions that completed, including repeated ones (tests).</summary>
    internal long TasksDone => Interlocked.Read(ref _tasksDone);

    private long _tasksDone;

    /// <summary>Stops without telling the workers (tests: a scheduler that crashes).</summary>
    internal async ValueTask CrashAsync()
    {
        _crashed = true;
        await DisposeAsync().ConfigureAwait(false);
    }

    private bool _crashed;

    /// <summary>
    /// Retires workers gracefully: they get no new tasks, results only they hold are copied to
    /// other workers, then they are closed. Completes with the names of the retired workers.
    /// </summary>
    /// <param name="workers">Names or addresses; empty to let the scheduler choose <paramref name="count"/>.</param>
    /// <param name="count">How many to choose when <paramref name="workers"/> is empty.</param>
    public Task<string[]> RetireWorkersAsync(IReadOnlyList<string> workers, int count)
    {
        var done = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_events.Writer.TryWrite(SchedulerEvent.Retire(new RetireRequest(workers, count, names => done.TrySetResult(names)))))
        {
            done.TrySetResult([]);
        }

        return done.Task;
    }

    /// <summary>Periodic checks: silent workers, nanny reports that never came, idleness.</summary>
    private void CheckLiveness(double now)
    {
        if (_options.WorkerTtl is { } ttl)
        {
            List<Session>? silent = null;
            foreach (var session in _workers.Values)
            {
                if (now - session.LastSeen > ttl.TotalSeconds) (silent ??= []).Add(session);
            }

            if (silent is not null)
            {
                foreach (var session in silent)
                {
                    RemoveWorkerSession(session, $"no message for {ttl.TotalSeconds:0.###} s (worker-ttl)", now, expected: false);
                    _ = session.Connection.CloseAsync("worker-ttl expired").AsTask();
                }
            }
        }

        if (_awaitingNanny.Count > 0)
        {
            foreach (var (session, reason, deadline) in _awaitingNanny.Values.ToArray())
            {
                if (now >= deadline) RemoveWorkerSession(session, reason, now, expected: false);
            }
        }

        if (_options.IdleTimeout is { } idle)
        {
            Volatile.Write(ref _idleCheckedAt, now);
            var isIdle = _clients.Count == 0 && _state.TaskCount == 0;
            if (!isIdle) _idleSince = -1;
            else if (_idleSince < 0) _idleSince = now;
            else if (now - _idleSince >= idle.TotalSeconds) _idle.TrySetResult();
        }
    }

    /// <summary>A worker's connection closed: removed now, or after its nanny said why (briefly awaited).</summary>
    private void WorkerDisconnected(Session session, string reason, double now)
    {
        var cause = $"connection lost ({reason})";
        if (session.Registration is { } r && _nannyReports.Take(r, now) is { } reported) cause = reported;
        else if (session.Registration is { Nanny: true } && !_stopping.IsCancellationRequested && _workers.ContainsKey(session.Id))
        {
            _awaitingNanny[session.Id] = (session, cause, now + _options.NannyReportGrace.TotalSeconds);
            return;
        }

        RemoveWorkerSession(session, cause, now, expected: false);
    }

    /// <summary>A nanny reports why its worker died (or is about to be restarted): taken only from that worker's own nanny.</summary>
    private void WorkerDied(Session nanny, WorkerDied died, double now)
    {
        Session? sameName;
        lock (_workers) sameName = _workers.Values.FirstOrDefault(s => s.Registration!.Name == died.Name);
        if (NannyReports.Refusal(died, sameName?.Registration) is { } refusal)
        {
            SchedulerLog.NannyReportRefused(_logger, nanny.Connection.RemoteAddress, refusal);
            _ = nanny.Connection.CloseAsync("nanny report refused: " + refusal).AsTask();
            return;
        }

        // With a pid, only that process's registration: the replacement may have registered already.
        var session = sameName is not null && (died.Pid == 0 || sameName.Registration!.Pid == died.Pid) ? sameName : null;

        if (session is null)
        {
            // The scheduler has not seen it die yet, or it never registered; or (another pid registered under
            // the name) it was replaced already, and the cause is only for the log.
            if (sameName is null) _nannyReports.Remember(died, now);
            SchedulerLog.WorkerDeathReported(_logger, died.Name, died.Pid, died.Cause);
            return;
        }

        RemoveWorkerSession(session, died.Cause, now, expected: false);
        _ = session.Connection.CloseAsync("reported dead by its nanny: " + died.Cause).AsTask();
    }

    /// <summary>A worker registers under the name of one still registered: the old one is gone.</summary>
    private void ReplacePreviousRegistration(Session session, RegisterWorker registration, double now)
    {
        Session? previous;
        lock (_workers) previous = _workers.Values.FirstOrDefault(s => s.Id != session.Id && s.Registration!.Name == registration.Name);
        if (previous is null) return;
        var r = previous.Registration!;
        var sameProcess = r.Pid == registration.Pid && r.Host == registration.Host;
        var cause = sameProcess ? "reconnected"
            : _nannyReports.Take(r, now) ?? "replaced by a new worker of the same name";
        RemoveWorkerSession(previous, cause, now, expected: sameProcess);
        _ = previous.Connection.CloseAsync("replaced by a new registration of " + registration.Name).AsTask();
    }

    /// <summary>Removes a worker from the server and the state (its tasks rescheduled, its unique results recomputed).</summary>
    private void RemoveWorkerSession(Session session, string cause, double now, bool expected)
    {
        _awaitingNanny.Remove(session.Id);
        bool known;
        lock (_workers)
        {
            known = _workers.Remove(session.Id);
            if (known && session.Registration is { } r && _workerByAddress.TryGetValue(r.Address, out var id) && id == session.Id)
            {
                _workerByAddress.Remove(r.Address);
            }

            _workerCount = _workers.Count;
        }

        if (!known) return;
        var name = session.Registration!.Name;
        var lost = 0;
        foreach (var task in _state.HasWhat(session.Id))
        {
            if (_state.WhoHas(task).Length == 1) lost++;
        }

        if (_logger.IsEnabled(LogLevel.Debug)) LogDeparture(session.Id, name, lost);

        _state.RemoveWorker(session.Id, cause, now, expected);
        lock (_departures) _departures.Add((name, cause, now, lost));
        if (_retiring.Remove(session.Id, out var retirement)) retirement.Finish(name);
        SchedulerLog.WorkerLeft(_logger, name, session.Registration.Address, cause);
    }

    /// <summary>Which results go with a departing worker (diagnostics, tests).</summary>
    private void LogDeparture(int worker, string name, int lost)
    {
        var unique = _state.HasWhat(worker).Where(t => _state.WhoHas(t).Length == 1).Select(_state.KeyOf);
        SchedulerLog.LeftHolding(_logger, name, lost, string.Join(' ', unique));
    }

    private void StartRetirement(RetireRequest request, double now)
    {
        var chosen = new List<int>();
        if (request.Workers.Count > 0)
        {
            var wanted = new HashSet<string>(request.Workers, StringComparer.Ordinal);
            lock (_workers)
            {
                foreach (var s in _workers.Values)
                {
                    if (wanted.Contains(s.Registration!.Name) || wanted.Contains(s.Registration.Address)) chosen.Add(s.Id);
                }
            }
        }
        else if (request.Count > 0)
        {
            foreach (var id in _state.WorkersToClose(request.Count + _retiring.Count))
            {
                if (chosen.Count < request.Count && !_retiring.ContainsKey(id)) chosen.Add(id);
            }
        }

        var batch = new RetireBatch(chosen.Count, request.Complete);
        if (chosen.Count == 0)
        {
            request.Complete([]);
            return;
        }

        foreach (var id in chosen)
        {
            _state.StopPlacingOn(id);
            if (!_retiring.TryGetValue(id, out var retirement)) _retiring[id] = retirement = new Retirement();
            retirement.Batches.Add(batch);
        }

        _nextRetirementCheck = 0;
        ProgressRetirements(now);
    }

    /// <summary>
    /// Moves retiring workers along: asks other workers to copy results only a retiring worker
    /// holds; closes a retiring worker once it runs nothing and holds nothing unique.
    /// </summary>
    private void ProgressRetirements(double now)
    {
        if (_retiring.Count == 0 || now < _nextRetirementCheck) return;
        _nextRetirementCheck = now + 0.01; // scanning held keys costs; a few times per round trip is enough
        var targets = new List<int>();
        foreach (var id in _state.Workers)
        {
            if (!_retiring.ContainsKey(id) && !_state.IsClosing(id)) targets.Add(id);
        }

        foreach (var (id, retirement) in _retiring.ToArray())
        {
            if (!_workers.TryGetValue(id, out var session))
            {
                _retiring.Remove(id);
                retirement.Finish("");
                continue;
            }

            var unique = 0;
            Dictionary<int, AcquireReplicas>? asks = null;
            if (targets.Count > 0)
            {
                var address = session.Registration!.Address;
                foreach (var task in _state.HasWhat(id))
                {
                    if (_state.WhoHas(task).Length > 1) continue;
                    unique++;
                    // Asked already and not long ago: the copy is on its way.
                    if (retirement.Requested.TryGetValue(task, out var asked) && now - asked < 5) continue;
                    retirement.Requested[task] = now;
                    var target = targets[_nextReplicaTarget++ % targets.Count];
                    asks ??= [];
                    if (!asks.TryGetValue(target, out var ask)) asks[target] = ask = new AcquireReplicas();
                    var dependency = new Dependency { Key = _state.KeyOf(task), Nbytes = (ulong)Math.Max(0, _state.NbytesOf(task)) };
                    dependency.Workers.Add(address);
                    ask.Keys.Add(dependency);
                }
            }

            if (asks is not null)
            {
                foreach (var (target, ask) in asks) SendToWorker(target, new Envelope { AcquireReplicas = ask });
            }

            if (unique == 0 && _state.ProcessingCount(id) == 0)
            {
                TrySend(session, new Envelope { CloseWorker = new CloseWorker { Reason = "retired" } }, default);
                RemoveWorkerSession(session, "retired", now, expected: true);
            }
        }
    }

    /// <summary>A request to retire workers: by name or address, or any <see cref="Count"/> of them.</summary>
    internal sealed record RetireRequest(IReadOnlyList<string> Workers, int Count, Action<string[]> Complete);

    /// <summary>One retire request: answered when all its workers are gone.</summary>
    private sealed class RetireBatch(int count, Action<string[]> complete)
    {
        private readonly List<string> _retired = [];
        private int _remaining = count;

        public void Done(string name)
        {
            if (name.Length > 0) _retired.Add(name);
            if (--_remaining == 0) complete([.. _retired]);
        }
    }

    /// <summary>A worker on its way out: the batches waiting for it and the copies asked for its results.</summary>
    private sealed class Retirement
    {
        public List<RetireBatch> Batches { get; } = [];

        /// <summary>Task id → when a copy was last asked for.</summary>
        public Dictionary<int, double> Requested { get; } = new();

        public void Finish(string name)
        {
            foreach (var batch in Batches) batch.Done(name);
        }
    }
}

using Shoal.Comm;
using Shoal.Comm.Rpc;
using Shoal.Protocol.Messages;

namespace Shoal.Execution;

// The scheduler connection: registration, liveness (pings; silence counts as a loss), and
// reconnection. A worker that loses its scheduler keeps the results it holds, forgets the
// rest (the scheduler reschedules it), and re-registers with those results as soon as it gets
// through again, so nothing it held is recomputed; past the death timeout it stops by itself.
internal sealed partial class WorkerServer
{
    // Incremented on every loss: events of an older connection (and of tasks and transfers it
    // started) are stale once the state was rebuilt.
    private int _generation;
    private volatile bool _connected = true;
    private int _registrations;

    /// <summary>False while the worker is trying to reach its scheduler again (tests and diagnostics).</summary>
    internal bool IsConnected => _connected;

    /// <summary>How many times the worker registered with its scheduler (1 + reconnections).</summary>
    internal int Registrations => Volatile.Read(ref _registrations);
    private double _lastHeard;

    /// <summary>When the scheduler was last heard from (worker clock, seconds).</summary>
    private double LastHeard
    {
        get => Volatile.Read(ref _lastHeard);
        set => Volatile.Write(ref _lastHeard, value);
    }

    /// <summary>Dials the scheduler (or uses <paramref name="opened"/>) and registers, offering <paramref name="held"/> as data already here.</summary>
    private async Task<(RpcConnection Scheduler, RegisterWorkerReply Reply)> ConnectAndRegisterAsync(
        IReadOnlyList<KeyValuePair<string, long>> held, CancellationToken cancellationToken, IConnection? opened = null)
    {
        var generation = _generation;
        var connection = opened ?? await Dial.ConnectAsync(_options.SchedulerAddress, Role.Worker, _options.Name, SchedulerDialOptions, cancellationToken).ConfigureAwait(false);
        _instruments.Traffic.Track(connection);
        var registered = new TaskCompletionSource<RegisterWorkerReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        RpcConnection? rpc = null;
        rpc = new RpcConnection(connection, incoming =>
        {
            LastHeard = Now;
            switch (incoming.Message.BodyCase)
            {
                case Envelope.BodyOneofCase.RegisterWorkerReply:
                    // From now on sends go here, even before the loop hears of the reconnection.
                    _scheduler = rpc!;
                    Interlocked.Increment(ref _registrations);
                    registered.TrySetResult(incoming.Message.RegisterWorkerReply);
                    break;
                case Envelope.BodyOneofCase.Pong:
                    break;
                case Envelope.BodyOneofCase.Error when !registered.Task.IsCompleted:
                    // The scheduler refused the registration and says why (e.g. the name is taken).
                    registered.TrySetException(new InvalidOperationException(incoming.Message.Error.Message));
                    break;
                default:
                    _events.Writer.TryWrite(WorkerEvent.FromScheduler(incoming, generation));
                    break;
            }

            return ValueTask.CompletedTask;
        });

        var registration = new RegisterWorker
        {
            Name = _options.Name,
            Address = _listener.Address,
            Nthreads = (uint)Math.Max(1, _options.NThreads),
            MemoryLimit = (ulong)Math.Max(0, _options.MemoryLimit),
            Pid = Environment.ProcessId,
            Host = Environment.MachineName,
            Nanny = _options.Nanny,
            InstanceId = InstanceId,
            NannyId = _options.NannyId ?? "",
            HttpAddress = _options.HttpAddress ?? "",
        };
        foreach (var pair in _options.Resources) registration.Resources.Add(pair.Key, pair.Value);
        foreach (var pair in held) registration.Keys.Add(new KeyNbytes { Key = pair.Key, Nbytes = (ulong)Math.Max(0, pair.Value) });
        try
        {
            rpc.Send(new Envelope { RegisterWorker = registration });
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            var first = await Task.WhenAny(registered.Task, rpc.Completion).WaitAsync(timeout.Token).ConfigureAwait(false);
            if (first != registered.Task && !registered.Task.IsCompleted)
            {
                throw new ConnectionClosedException("the scheduler closed the connection during registration: " + (rpc.CloseReason?.Message ?? "no reason given"));
            }

            LastHeard = Now;
            return (rpc, await registered.Task.ConfigureAwait(false));
        }
        catch
        {
            await rpc.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Why this worker closed a scheduler connection itself (silence): the connection reports only that it closed.
    private (RpcConnection Connection, string Reason)? _closedHere;

    /// <summary>Tells the loop when this connection ends, and why.</summary>
    private void WatchScheduler(RpcConnection scheduler, int generation) =>
        _ = scheduler.Completion.ContinueWith(
            _ =>
            {
                var reason = scheduler.CloseReason?.Message
                    ?? (_closedHere is { } here && here.Connection == scheduler ? here.Reason : "the scheduler closed the connection");
                _events.Writer.TryWrite(WorkerEvent.SchedulerLost(reason) with { Generation = generation });
            },
            TaskScheduler.Default);

    /// <summary>On the loop: the scheduler connection ended.</summary>
    private void OnSchedulerLost(WorkerEvent e)
    {
        if (e.Generation != _generation || _stopped.Task.IsCompleted) return;
        WorkerLog.SchedulerLost(_logger, _options.SchedulerAddress, e.Reason);
        if (_options.DeathTimeout is { } death && death <= TimeSpan.Zero)
        {
            Stop("lost the scheduler: " + e.Reason);
            _events.Writer.TryComplete();
            return;
        }

        _connected = false;
        _generation++;
        var held = RebuildStateKeepingData();
        var generation = _generation;
        _ = Task.Run(() => ReconnectLoopAsync(held, generation));
    }

    /// <summary>
    /// A fresh state that holds only the results in memory: tasks that were waiting or running
    /// here are the scheduler's to place again (it rescheduled them when it lost us).
    /// </summary>
    private KeyValuePair<string, long>[] RebuildStateKeepingData()
    {
        var held = _state.DataKeys.ToArray();
        _state = NewState();
        if (_pausedSince >= 0) Apply(_state.Pause()); // still short of memory
        if (held.Length > 0) Apply(_state.DataPut(held, Now));
        var keep = new HashSet<string>(held.Select(h => h.Key), StringComparer.Ordinal);
        foreach (var key in _store.Keys)
        {
            if (!keep.Contains(key)) _store.Remove(key);
        }

        return held;
    }

    private async Task ReconnectLoopAsync(KeyValuePair<string, long>[] held, int generation)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (!_stopping.IsCancellationRequested)
        {
            if (_options.DeathTimeout is { } death && Now - LastHeard > death.TotalSeconds)
            {
                _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.GaveUp)
                {
                    Generation = generation,
                    Reason = $"could not reach the scheduler at {_options.SchedulerAddress} for {death.TotalSeconds:0.###} s (death-timeout)",
                });
                return;
            }

            try
            {
                // An attempt may take no longer than what is left of the death timeout.
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                if (_options.DeathTimeout is { } limit) attempt.CancelAfter(TimeSpan.FromSeconds(Math.Max(0.05, limit.TotalSeconds - (Now - LastHeard))));
                var (scheduler, _) = await ConnectAndRegisterAsync(held, attempt.Token).ConfigureAwait(false);
                _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.Reconnected) { Generation = generation, Payload = scheduler });
                return;
            }
            catch (Exception e) when (!_stopping.IsCancellationRequested)
            {
                WorkerLog.ReconnectFailed(_logger, _options.SchedulerAddress, e.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(delay, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(1000, delay.TotalMilliseconds * 2));
        }
    }

    /// <summary>On the loop: registered again.</summary>
    private void OnReconnected(WorkerEvent e)
    {
        var scheduler = (RpcConnection)e.Payload!;
        if (e.Generation != _generation || _stopped.Task.IsCompleted)
        {
            _ = scheduler.DisposeAsync().AsTask();
            return;
        }

        _connected = true;
        WatchScheduler(scheduler, _generation);
        WorkerLog.Reconnected(_logger, _options.Name, _options.SchedulerAddress, _state.MemoryCount);
    }

    /// <summary>On a heartbeat: a scheduler silent for too long counts as lost, even if TCP has not noticed.</summary>
    private void CheckSchedulerSilence()
    {
        if (!_connected) return;
        var silent = Now - LastHeard;
        var limit = _options.SchedulerSilenceLimit.TotalSeconds;
        if (silent > limit && _scheduler.Connection.HasUnreadInput)
        {
            // The scheduler did speak: its messages wait for this process, which is slow (a loaded
            // machine), not cut off. Counting that as silence made a starved worker drop its
            // connection, and the tasks it was running, again and again.
            WorkerLog.SlowNotSilent(_logger, silent);
        }
        else if (silent > limit)
        {
            var scheduler = _scheduler;
            var reason = $"no message from the scheduler for {silent:0.#} s (the limit is {limit:0.###} s)";
            _closedHere = (scheduler, reason);
            _ = scheduler.Connection.CloseAsync(reason).AsTask();
            return;
        }

        try
        {
            _scheduler.Send(new Envelope { Ping = new Ping { RequestId = _scheduler.NextRequestId() } });
        }
        catch (ConnectionClosedException)
        {
            // The loop hears of it from the connection.
        }
    }

    /// <summary>Closes the scheduler connection as if the network dropped it (tests).</summary>
    internal Task DropSchedulerConnectionAsync() => _scheduler.Connection.CloseAsync("dropped for a test").AsTask();
}

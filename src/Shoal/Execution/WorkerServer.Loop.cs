using Shoal.Platform;
using Shoal.Comm;
using Shoal.Protocol.Messages;
using Shoal.Protocol;
using Shoal.Transfer;
using Body = Shoal.Protocol.Messages.Envelope.BodyOneofCase;

namespace Shoal.Execution;

internal sealed partial class WorkerServer
{
    /// <summary>The one loop that owns the state.</summary>
    private async Task RunLoopAsync()
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var e))
            {
                try
                {
                    Handle(e);
                }
                catch (Exception ex)
                {
                    WorkerLog.EventFailed(_logger, e.Kind.ToString(), ex);
                }
            }

            // Once per batch of events: what tasks and transfers stored meanwhile reaches the file (tmpfs: no fsync).
            _store.Journal?.Flush();
        }
    }

    private void Handle(WorkerEvent e)
    {
        var now = Now;
        switch (e.Kind)
        {
            case WorkerEventKind.SchedulerMessage:
                if (e.Generation != _generation) break; // from a connection since lost
                HandleSchedulerMessage(e.Incoming, now);
                break;
            case WorkerEventKind.ExecuteSuccess or WorkerEventKind.ExecuteFailure or WorkerEventKind.GatherSuccess
                or WorkerEventKind.GatherFailure or WorkerEventKind.ReplicasFetched when e.Generation != _generation:
                // Started before the scheduler connection was lost: the state that wanted it is gone.
                DropUnlessHeld(e.Kind == WorkerEventKind.ExecuteSuccess ? [e.Key] : e.Received.Select(r => r.Key));
                break;
            case WorkerEventKind.ExecuteSuccess:
                _instruments.TaskFinished(e.Key, e.Stop - e.Start, succeeded: true);
                SendLogs();
                CheckMemoryAfterStoring(e.Nbytes);
                Apply(_state.ExecuteSuccess(e.Key, e.Nbytes, e.Start, e.Stop));
                break;
            case WorkerEventKind.ExecuteFailure:
                _instruments.TaskFinished(e.Key, e.Stop - e.Start, succeeded: false);
                SendLogs();
                Apply(_state.ExecuteFailure(e.Key, e.Error!, e.Start, e.Stop));
                break;
            case WorkerEventKind.GatherSuccess:
                CheckMemoryAfterStoring(e.Received.Sum(r => r.Value));
                Apply(_state.GatherSuccess(e.Peer, e.Received, e.Keys, now));
                break;
            case WorkerEventKind.GatherFailure:
                Apply(_state.GatherFailure(e.Peer, e.Keys, e.Reason, now));
                break;
            case WorkerEventKind.ReplicasFetched:
                ReplicasFetched(e.Received, now);
                break;
            case WorkerEventKind.DataPut:
                StorePut(e.Put!, now);
                break;
            case WorkerEventKind.MemoryCheck:
                CheckMemory();
                break;
            case WorkerEventKind.Story:
                ServeStory((StoryAsk)e.Payload!);
                break;
            case WorkerEventKind.Secede:
                Apply(_state.Secede(e.Key, now));
                break;
            case WorkerEventKind.Rejoin:
                Apply(_state.Rejoin(e.Key, now));
                break;
            case WorkerEventKind.Heartbeat:
                _instruments.LoopLag(now - Volatile.Read(ref _tickWritten));
                CheckSchedulerSilence();
                if (_connected)
                {
                    SendHeartbeat();
                    Apply(_state.FindMissing(now));
                }

                break;
            case WorkerEventKind.WhoHasReply:
                foreach (var location in e.Locations)
                {
                    Apply(_state.UpdateWhoHas(location.Key, location.Value, now));
                }

                break;
            case WorkerEventKind.SchedulerLost:
                OnSchedulerLost(e);
                break;
            case WorkerEventKind.Reconnected:
                OnReconnected(e);
                break;
            case WorkerEventKind.GaveUp:
                if (e.Generation != _generation) break;
                WorkerLog.GaveUp(_logger, e.Reason);
                Stop(e.Reason);
                _events.Writer.TryComplete();
                break;
        }
    }

    private void HandleSchedulerMessage(IncomingMessage incoming, double now)
    {
        var message = incoming.Message;
        switch (message.BodyCase)
        {
            case Body.AcquireReplicas:
                AcquireReplicas(message.AcquireReplicas);
                break;
            case Body.ComputeTask:
                var compute = message.ComputeTask;
                var run = incoming.Segments.Span.Slice((int)compute.RunFirstSegment, (int)compute.RunSegmentCount).ToArray();
                var dependencies = new DependencySpec[compute.Dependencies.Count];
                for (var i = 0; i < dependencies.Length; i++)
                {
                    var d = compute.Dependencies[i];
                    dependencies[i] = new DependencySpec(d.Key, (long)d.Nbytes, d.Workers.Count == 0 ? [] : [.. d.Workers],
                        d.WorkerInstances.Count == 0 ? null : [.. d.WorkerInstances]);
                }

                var request = new ComputeRequest(compute.Key, new TaskPayload(run, _codeSets.Resolve(compute.CodeSet, compute.Key)),
                    compute.Priority, dependencies, compute.Resources.Count == 0 ? null : ResourceAmounts.ToDictionary(compute.Resources), (long)compute.RunId);
                Apply(_state.ComputeTask(request, now));
                break;
            case Body.CodeSetDefinition:
                _codeSets.Define(message.CodeSetDefinition);
                break;
            case Body.FreeKeys:
                Apply(_state.FreeKeys(message.FreeKeys.Keys, now, message.FreeKeys.ScatterGenerations.Count == 0 ? null : message.FreeKeys.ScatterGenerations));
                CancelUnwantedRuns(message.FreeKeys.Keys);
                break;
            case Body.StealRequest:
                Apply(_state.StealRequest(message.StealRequest.Key, (long)message.StealRequest.RunId, now));
                break;
            case Body.CloseWorker:
                // Set before Stop: the host reads it once Stopped completes, to exit with the code its nanny restarts on.
                RestartRequested = message.CloseWorker.Restart;
                Stop("the scheduler closed this worker: " + message.CloseWorker.Reason);
                _events.Writer.TryComplete();
                break;
            case Body.Ping:
                _scheduler.Send(new Envelope { Pong = new Pong { RequestId = message.Ping.RequestId } });
                break;
            default:
                WorkerLog.UnexpectedMessage(_logger, message.BodyCase.ToString());
                break;
        }
    }

    /// <summary>Carries out the state's instructions.</summary>
    private void Apply(IReadOnlyList<WorkerInstruction> instructions)
    {
        for (var i = 0; i < instructions.Count; i++)
        {
            switch (instructions[i])
            {
                case Execute execute:
                    // The start report goes first: if the task kills this process, the scheduler holds it against the task.
                    SendToScheduler(new Envelope { TaskStarted = new TaskStarted { Key = execute.Key, RunId = (ulong)execute.RunId } });
                    StartExecution(execute.Key, _state.RunSpecOf(execute.Key)!);
                    break;
                case TaskStartedMsg started:
                    SendToScheduler(new Envelope { TaskStarted = new TaskStarted { Key = started.Key, RunId = (ulong)started.RunId } });
                    break;
                case GatherDep gather:
                    StartGather(gather.Peer, [.. gather.Keys]);
                    break;
                case TaskDoneMsg done:
                    SendToScheduler(new Envelope { TaskDone = new TaskDone { Key = done.Key, Nbytes = (ulong)Math.Max(0, done.Nbytes), Start = done.Start, Stop = done.Stop, RunId = (ulong)done.RunId } });
                    break;
                case TaskFailedMsg failed:
                    SendFailure(failed);
                    break;
                case MissingDataMsg missing:
                    SendToScheduler(new Envelope { MissingData = new MissingData { Key = missing.Key, Worker = missing.Peer, WorkerInstance = missing.PeerInstance ?? "" } });
                    break;
                case StealResponseMsg steal:
                    SendToScheduler(new Envelope { StealResponse = new StealResponse { Key = steal.Key, Accepted = steal.Accepted, RunId = (ulong)steal.RunId } });
                    break;
                case ReleaseData release:
                    // A background collection: the loop goes on while it frees the released arrays.
                    if (_released.Add(_store.Remove(release.Key)))
                        GC.Collect(2, GCCollectionMode.Forced, blocking: false, compacting: false);
                    break;
                case RescheduleMsg reschedule:
                    SendToScheduler(new Envelope { Reschedule = new Reschedule { Key = reschedule.Key, RunId = (ulong)reschedule.RunId } });
                    break;
                case AddKeysMsg add:
                    var message = new AddKeys();
                    foreach (var pair in add.Keys) message.Keys.Add(new KeyNbytes { Key = pair.Key, Nbytes = (ulong)Math.Max(0, pair.Value) });
                    SendToScheduler(new Envelope { AddKeys = message });
                    break;
                case RequestWhoHasMsg whoHas:
                    AskWhoHas(whoHas.Keys);
                    break;
                default:
                    if (!ApplySecession(instructions[i])) WorkerLog.UnexpectedMessage(_logger, instructions[i].GetType().Name);
                    break;
            }
        }
    }

    /// <summary>Asks the scheduler where dependencies with no known holder live now.</summary>
    private void AskWhoHas(IReadOnlyList<string> keys)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                var id = _scheduler.NextRequestId();
                var request = new WhoHasRequest { RequestId = id };
                request.Keys.AddRange(keys);
                var reply = await _scheduler.RequestAsync(id, new Envelope { WhoHas = request }, default, _stopping.Token).ConfigureAwait(false);
                var locations = reply.Message.WhoHasReply.Locations
                    .Where(l => l.Workers.Count > 0)
                    .Select(l => new KeyValuePair<string, IReadOnlyList<string>>(l.Key, [.. l.Workers]))
                    .ToArray();
                if (locations.Length > 0) _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.WhoHasReply) { Locations = locations });
            }
            catch (Exception e) when (e is ConnectionClosedException or OperationCanceledException or Comm.Rpc.RemoteCallException)
            {
                // The next heartbeat asks again, or the worker is stopping.
            }
        });
    }

    private void SendFailure(TaskFailedMsg failed)
    {
        var payload = failed.Error;
        var error = payload.Error.Clone();
        Segment[] segments = [];
        if (payload?.Original is { } original && _scheduler.Connection.IsInProcess)
        {
            error.Segment = 0;
            segments = [Segment.FromObject(original)];
        }

        SendToScheduler(new Envelope { TaskFailed = new TaskFailed { Key = failed.Key, Error = error, Start = failed.Start, Stop = failed.Stop, RunId = (ulong)failed.RunId } }, segments);
    }

    private void SendToScheduler(Envelope message, ReadOnlySpan<Segment> segments = default)
    {
        try
        {
            _scheduler.Send(message, segments);
        }
        catch (ConnectionClosedException)
        {
            // The loop hears of the lost scheduler from the connection itself.
        }
    }

    private void SendHeartbeat()
    {
        var heartbeat = new Heartbeat
        {
            Executing = (uint)_state.Executing,
            Ready = (uint)_state.ReadyCount,
            ManagedBytes = (ulong)Math.Max(0, _store.MemoryBytes),
            SpilledBytes = (ulong)Math.Max(0, _store.SpilledBytes),
            StoredKeys = (uint)_store.Count,
            ProcessMemory = (ulong)ProcessMemory.ResidentBytes(),
            Paused = _pausedSince >= 0,
            Cpu = _cpu.Sample(),
        };
        SendToScheduler(new Envelope { Heartbeat = heartbeat });
        SendLogs();
        SendActivity();
        _instruments.Publish(new WorkerGauges
        {
            Threads = Math.Max(1, _options.NThreads),
            Executing = (int)heartbeat.Executing,
            Ready = (int)heartbeat.Ready,
            StoredKeys = (int)heartbeat.StoredKeys,
            ManagedBytes = (long)heartbeat.ManagedBytes,
            SpilledBytes = (long)heartbeat.SpilledBytes,
            SpillCount = _store.SpillCount,
            ProcessMemory = (long)heartbeat.ProcessMemory,
            MemoryLimit = Math.Max(0, _options.MemoryLimit),
            Cpu = heartbeat.Cpu,
            Paused = heartbeat.Paused,
        });
    }

    private readonly CpuSampler _cpu = new();

    /// <summary>Runs a task on the thread pool; the state already keeps at most nthreads running.</summary>
    private void StartExecution(string key, TaskPayload payload)
    {
        var generation = _generation;
        // Registered here, on the loop: a free-keys handled before the thread pool starts the task still finds it.
        var running = BeginRun(key);
        _ = ExecuteAsync(generation, running, key, payload);
    }

    /// <summary>
    /// The execution itself, off the loop: an async method that first yields to the thread pool
    /// (<c>Task.Run(async () => …)</c> cost a closure, a delegate, a <c>Task&lt;Task&gt;</c> and
    /// its unwrapping per task, issue 10).
    /// </summary>
    private async Task ExecuteAsync(int generation, RunningTask running, string key, TaskPayload payload)
    {
        await Task.Yield();
        var start = Now;
        WorkerContext.Enter(running);
        WorkerContext.EnterTask(key, _taskLog);
        try
        {
            var (run, resolver) = await _code.ResolveAsync(payload, _stopping.Token).ConfigureAwait(false);
            running.LocalValue = k => _store.Contains(k) ? _store.ValueOf(k, resolver) : throw new KeyNotFoundException(k);
            var value = await run.InvokeAsync(k => _store.ValueOf(k, resolver), running.Cancellation).ConfigureAwait(false);
            var nbytes = Payloads.SizeOf(value);
            _store.PutObject(key, value, nbytes);
            _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.ExecuteSuccess) { Generation = generation, Key = key, Nbytes = nbytes, Start = start, Stop = Now });
        }
        catch (Exception e)
        {
            var error = RemoteErrors.FromException(e, key, _options.Name);
            var original = e is System.Reflection.TargetInvocationException { InnerException: { } inner } ? inner : e;
            _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.ExecuteFailure) { Generation = generation, Key = key, Error = new TaskErrorPayload(error, original), Start = start, Stop = Now });
        }
        finally
        {
            EndRun(running);
        }
    }

    /// <summary>Fetches dependencies from a peer into the store.</summary>
    private void StartGather(string peer, string[] keys)
    {
        var generation = _generation;
        _ = Task.Run(async () =>
        {
            var start = Now;
            try
            {
                var (received, missing) = await FetchAsync(peer, keys).ConfigureAwait(false);
                var bytes = received.Sum(r => r.Value);
                _instruments.Fetched(bytes, Now - start, succeeded: true);
                MarkTransfer(peer, start, Now, bytes, received.Count);
                _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.GatherSuccess) { Generation = generation, Peer = peer, Received = received, Keys = missing });
            }
            catch (Exception e)
            {
                _instruments.Fetched(0, Now - start, succeeded: false);
                _peers.Evict(peer);
                _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.GatherFailure) { Generation = generation, Peer = peer, Keys = keys, Reason = e.Message });
            }
        });
    }

    /// <summary>Gets values from a peer into the store.</summary>
    private async Task<(List<KeyValuePair<string, long>> Received, string[] Missing)> FetchAsync(string peer, IEnumerable<string> keys)
    {
        var connection = await _peers.GetAsync(peer, _stopping.Token).ConfigureAwait(false);
        var id = connection.NextRequestId();
        var request = new GetData { RequestId = id };
        request.Keys.AddRange(keys);
        var incoming = await connection.RequestAsync(id, new Envelope { GetData = request }, default, _stopping.Token).ConfigureAwait(false);
        var reply = incoming.Message.DataReply;
        var segments = incoming.Segments.Span;
        var received = new List<KeyValuePair<string, long>>(reply.Values.Count);
        foreach (var value in reply.Values)
        {
            received.Add(new(value.Key, StoreReceived(value, segments)));
        }

        return (received, [.. reply.Missing]);
    }

    /// <summary>Keeps a value that arrived from a peer or client: by reference in-process, as bytes otherwise.</summary>
    private long StoreReceived(ValueRef value, ReadOnlySpan<Segment> segments)
    {
        var slice = segments.Slice((int)value.FirstSegment, (int)value.SegmentCount);
        if (slice.Length == 1 && slice[0].IsObject)
        {
            var nbytes = value.Nbytes > 0 ? (long)value.Nbytes : Payloads.SizeOf(slice[0].Object);
            _store.PutObject(value.Key, slice[0].Object, nbytes);
            return nbytes;
        }

        var encoded = new EncodedValue(slice.ToArray(), (long)value.Nbytes, value.TypeName);
        _store.PutEncoded(value.Key, encoded);
        return encoded.Nbytes;
    }
}

using Shoal.Comm;
using Shoal.Protocol.Messages;
using Shoal.Protocol;
using Shoal.Transfer;
using Body = Shoal.Protocol.Messages.Envelope.BodyOneofCase;

namespace Shoal.Scheduling;

internal sealed partial class SchedulerServer
{
    /// <summary>Which messages each role may send: a client cannot report task results, a worker cannot submit.</summary>
    private static bool RoleMayStateThis(Role role, Body body) => RoleMaySendLogs(role, body) || role switch
    {
        Role.Client => body is Body.UpdateGraph or Body.ReleaseKeys or Body.CancelKeys or Body.ScatterUpdate or Body.WhoHas
            or Body.Identity or Body.AdaptiveTarget or Body.UploadCode or Body.HasCode or Body.RetireWorkers or Body.CloseClient or Body.Ping
            or Body.HeldByClient or Body.RestoreReply or Body.Story or Body.ClusterState or Body.RetryKeys or Body.FireAndForget or Body.RunSpec
            or Body.Coordination or Body.CoordinationCancel or Body.Restart or Body.Rebalance or Body.CodeSetDefinition,
        Role.Worker => body is Body.RegisterWorker or Body.TaskDone or Body.TaskFailed or Body.Heartbeat or Body.MissingData
            or Body.StealResponse or Body.AddKeys or Body.CodeRequest or Body.Reschedule or Body.WhoHas or Body.Ping or Body.TaskStarted
            or Body.TaskSeceded,
        // A nanny holds its worker's credential: it may say why the worker died, nothing else.
        Role.Nanny => body is Body.WorkerDied or Body.CloseClient or Body.Ping,
        _ => false,
    };

    /// <summary>Requests that need nothing of the state are answered on the connection's own task.</summary>
    private bool TryServeDirectly(Session session, IncomingMessage incoming)
    {
        var message = incoming.Message;
        switch (message.BodyCase)
        {
            case Body.UploadCode:
                foreach (var blob in message.UploadCode.Blobs)
                {
                    _code.Put(blob.Hash, blob.Name, incoming.Segments.Span[(int)blob.Segment]);
                }

                return true;
            case Body.HasCode:
                var reply = new HasCodeReply { RequestId = message.HasCode.RequestId };
                foreach (var hash in message.HasCode.Hashes)
                {
                    if (!_code.Has(hash)) reply.Missing.Add(hash);
                }

                session.Connection.Send(new Envelope { HasCodeReply = reply });
                return true;
            case Body.CodeRequest:
                var code = new CodeReply { RequestId = message.CodeRequest.RequestId };
                var segments = new List<Segment>();
                foreach (var hash in message.CodeRequest.Hashes)
                {
                    if (_code.TryGet(hash, out var name, out var bytes))
                    {
                        code.Blobs.Add(new CodeBlob { Hash = hash, Name = name, Segment = (uint)segments.Count });
                        segments.Add(bytes);
                    }
                    else
                    {
                        code.Missing.Add(hash);
                    }
                }

                session.Connection.Send(new Envelope { CodeReply = code }, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(segments));
                return true;
            case Body.Ping:
                session.Connection.Send(new Envelope { Pong = new Pong { RequestId = message.Ping.RequestId } });
                return true;
            default:
                return false;
        }
    }

    private void Handle(SchedulerEvent e)
    {
        var now = Now;
        switch (e.Kind)
        {
            case SchedulerEventKind.Tick:
                _state.Tick(now);
                CoordinationTick(now);
                CheckLiveness(now);
                ProgressRetirements(now);
                if (_rebalances.Count > 0) ProgressRebalances(now);
                PublishObservations(now);
                return;
            case SchedulerEventKind.OnLoop:
                ((Action)e.Payload!)();
                return;
            case SchedulerEventKind.Retire:
                StartRetirement((RetireRequest)e.Payload!, now);
                return;
            case SchedulerEventKind.Inspect:
                ((Action<SchedulerState>)e.Payload!)(_state);
                return;
            case SchedulerEventKind.Connected:
                lock (_workers) _clients[e.Session!.Id] = e.Session;
                _state.AddClient(e.Session.Id);
                SchedulerLog.ClientConnected(_logger, e.Session.Connection.Peer.Name, e.Session.Connection.RemoteAddress);
                return;
            case SchedulerEventKind.Disconnected:
                OnDisconnected(e.Session!, e.Reason ?? "closed", now);
                return;
        }

        var session = e.Session!;
        var message = e.Incoming.Message;
        if (session.Role == Role.Worker && !session.Registered && message.BodyCase != Body.RegisterWorker)
        {
            throw new InvalidOperationException($"a worker must register before sending {message.BodyCase}");
        }

        var stale = _state.StaleAnswers;
        HandleMessage(session, e.Incoming, message, now);
        if (_state.StaleAnswers != stale) LogStaleAnswer(session, message);
    }

    private void HandleMessage(Session session, IncomingMessage incoming, Envelope message, double now)
    {
        switch (message.BodyCase)
        {
            case Body.UpdateGraph:
                _state.UpdateGraph(session.Id, ToSpecifications(message.UpdateGraph, incoming.Segments, session.CodeSetsDefined), now);
                break;
            case Body.CodeSetDefinition:
                session.CodeSetsDefined.Define(message.CodeSetDefinition);
                break;
            case Body.ReleaseKeys:
                _state.ReleaseKeys(session.Id, message.ReleaseKeys.Keys, now);
                break;
            case Body.CancelKeys:
                CancelKeys(session, message.CancelKeys, now);
                break;
            case Body.ScatterUpdate:
                ScatterUpdate(session, message.ScatterUpdate, now);
                break;
            case Body.WhoHas:
                WhoHas(session, message.WhoHas);
                break;
            case Body.Story:
                Story(session, message.Story);
                break;
            case Body.Coordination:
                HandleCoordination(session, incoming, now);
                break;
            case Body.CoordinationCancel:
                CancelCoordination(session, message.CoordinationCancel, now);
                break;
            case Body.Identity:
                Identity(session, message.Identity);
                break;
            case Body.ClusterState:
                ClusterState(session, message.ClusterState);
                break;
            case Body.RetryKeys:
                _state.RetryKeys(session.Id, message.RetryKeys.Keys, now, message.RetryKeys.HasRetries ? (int)Math.Min(message.RetryKeys.Retries, int.MaxValue) : null);
                break;
            case Body.FireAndForget:
                _state.FireAndForget(message.FireAndForget.Keys, now);
                break;
            case Body.RunSpec:
                RunSpec(session, message.RunSpec);
                break;
            case Body.AdaptiveTarget:
                AdaptiveTarget(session, message.AdaptiveTarget);
                break;
            case Body.RetireWorkers:
                var retire = message.RetireWorkers;
                StartRetirement(new RetireRequest([.. retire.Workers], (int)retire.N, names =>
                {
                    var reply = new RetireWorkersReply { RequestId = retire.RequestId };
                    reply.Retired.AddRange(names);
                    TrySend(session, new Envelope { RetireWorkersReply = reply }, default);
                }), now);
                break;
            case Body.Restart:
                Restart(session, message.Restart, now);
                break;
            case Body.Rebalance:
                Rebalance(session, message.Rebalance, now);
                break;
            case Body.WorkerDied:
                WorkerDied(session, message.WorkerDied, now);
                break;
            case Body.HeldByClient:
                _state.ClientHolds(session.Id, message.HeldByClient.Keys, now);
                break;
            case Body.RestoreReply:
                RestoreReply(session, message.RestoreReply, now);
                break;
            case Body.CloseClient:
                // The connection closing next does the work.
                break;
            case Body.RegisterWorker:
                RegisterWorker(session, message.RegisterWorker, now);
                break;
            case Body.TaskDone:
                var done = message.TaskDone;
                Interlocked.Increment(ref _tasksDone);
                _observer.Stream.Write(done.Key, session.Id, Shoal.Dashboard.TaskStreamKind.Done, done.Start, done.Stop, now, (long)done.Nbytes);
                _state.TaskFinished(session.Id, done.Key, (long)done.RunId, (long)done.Nbytes, done.Start, done.Stop, now);
                break;
            case Body.TaskStarted:
                _state.TaskStarted(session.Id, message.TaskStarted.Key, (long)message.TaskStarted.RunId, now);
                break;
            case Body.TaskSeceded:
                _state.TaskSeceded(session.Id, message.TaskSeceded.Key, (long)message.TaskSeceded.RunId, now);
                break;
            case Body.TaskFailed:
                var failed = message.TaskFailed;
                var original = RemoteErrors.OriginalOf(failed.Error, incoming.Segments.Span);
                failed.Error.Segment = -1;
                _observer.Stream.Write(failed.Key, session.Id, Shoal.Dashboard.TaskStreamKind.Erred, failed.Start, failed.Stop, now, 0);
                _state.TaskErred(session.Id, failed.Key, (long)failed.RunId, new TaskErrorPayload(failed.Error, original), now);
                break;
            case Body.Heartbeat:
                var beat = message.Heartbeat;
                var wasPaused = session.LastHeartbeat?.Paused ?? false;
                session.LastHeartbeat = beat;
                if (beat.Paused && !wasPaused) _state.StopPlacingOn(session.Id);
                else if (!beat.Paused && wasPaused && !_retiring.ContainsKey(session.Id)) _state.ResumePlacingOn(session.Id, now);
                _state.Heartbeat(session.Id, new WorkerLoad((int)beat.Executing, (int)beat.Ready, (long)beat.ManagedBytes, (long)beat.SpilledBytes, (long)beat.ProcessMemory), now);
                break;
            case Body.MissingData:
                MissingData(session, message.MissingData, now);
                break;
            case Body.StealResponse:
                _state.StealResponse(session.Id, message.StealResponse.Key, (long)message.StealResponse.RunId, message.StealResponse.Accepted, now);
                break;
            case Body.AddKeys:
                _state.AddKeys(session.Id, message.AddKeys.Keys.Select(k => new KeyValuePair<string, long>(k.Key, (long)k.Nbytes)).ToArray(), now);
                if (_rebalances.Count > 0) ProgressRebalances(now);
                break;
            case Body.Reschedule:
                _state.Reschedule(session.Id, message.Reschedule.Key, (long)message.Reschedule.RunId, now);
                break;
            case Body.WorkerLogs:
                WorkerLogs(session, message.WorkerLogs);
                break;
            case Body.WorkerActivity:
                WorkerActivity(session, message.WorkerActivity, now);
                break;
            case Body.WorkerLogsRequest:
                WorkerLogsRequested(session, message.WorkerLogsRequest);
                break;
            case Body.PerformanceReportStart:
                StartRecording(session, message.PerformanceReportStart);
                break;
            case Body.PerformanceReportStop:
                StopRecording(session, message.PerformanceReportStop);
                break;
            default:
                throw new InvalidOperationException($"unexpected message {message.BodyCase}");
        }
    }

    /// <summary>A worker's answer named a run the state no longer counts on (see SchedulerState.RunIdOf): logged, not acted on.</summary>
    private void LogStaleAnswer(Session session, Envelope message)
    {
        var (key, runId) = message.BodyCase switch
        {
            Body.TaskDone => (message.TaskDone.Key, message.TaskDone.RunId),
            Body.TaskFailed => (message.TaskFailed.Key, message.TaskFailed.RunId),
            Body.StealResponse => (message.StealResponse.Key, message.StealResponse.RunId),
            Body.Reschedule => (message.Reschedule.Key, message.Reschedule.RunId),
            _ => ("", 0UL),
        };
        var task = _state.TaskIdOf(key);
        SchedulerLog.StaleAnswer(_logger, message.BodyCase.ToString(), key, session.Registration?.Name ?? session.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            runId, task < 0 ? 0 : _state.RunIdOf(task));
    }

    private static List<TaskSpecification> ToSpecifications(UpdateGraph update, ReadOnlyMemory<Segment> segments, CodeSetTable codeSets)
    {
        var specs = new List<TaskSpecification>(update.Tasks.Count);
        var all = segments.Span;
        foreach (var task in update.Tasks)
        {
            var first = (int)task.RunFirstSegment;
            var count = (int)task.RunSegmentCount;
            if (first < 0 || count < 0 || first + count > all.Length)
            {
                throw new InvalidOperationException($"task '{task.Key}' points at segments {first}..{first + count} of {all.Length}");
            }

            var code = codeSets.Resolve(task.CodeSet, task.Key);
            specs.Add(new TaskSpecification
            {
                Key = task.Key,
                Dependencies = task.Dependencies.Count == 0 ? [] : [.. task.Dependencies],
                RunSpec = new TaskPayload(all.Slice(first, count).ToArray(), code),
                Priority = task.Priority,
                Retries = task.Retries,
                Resources = task.Resources.Count == 0 ? null : ResourceAmounts.ToDictionary(task.Resources),
                Workers = task.Workers.Count == 0 ? null : [.. task.Workers],
                AllowOtherWorkers = task.AllowOtherWorkers,
                Wanted = task.Wanted,
            });
        }

        return specs;
    }

    private void RegisterWorker(Session session, RegisterWorker registration, double now)
    {
        if (session.Registered) throw new InvalidOperationException("worker registered twice");
        if (string.IsNullOrEmpty(registration.Address)) throw new InvalidOperationException("a worker must give the address it serves data on");
        Session? holder;
        lock (_workers) holder = _workers.Values.FirstOrDefault(s => s.Registration!.Name == registration.Name && !_awaitingNanny.ContainsKey(s.Id));
        if (WorkerNameClaims.Refusal(registration, holder?.Registration) is { } refusal)
        {
            // Said to the worker (it fails with this message), then its connection goes; the live one keeps its name and work.
            SchedulerLog.RegistrationRefused(_logger, session.Connection.RemoteAddress, refusal);
            TrySend(session, new Envelope { Error = new ErrorReply { Message = "registration refused: " + refusal } }, default);
            _ = session.Connection.CloseAsync("registration refused: " + refusal).AsTask();
            return;
        }

        session.Registration = registration;
        lock (_workers)
        {
            _workers[session.Id] = session;
            _workerByAddress[registration.Address] = session.Id;
            _workerCount = _workers.Count;
        }

        var held = registration.Keys.Select(k => new KeyValuePair<string, long>(k.Key, (long)k.Nbytes)).ToArray();
        session.Connection.Send(new Envelope
        {
            RegisterWorkerReply = new RegisterWorkerReply
            {
                WorkerId = session.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                HeartbeatIntervalSeconds = _options.HeartbeatInterval.TotalSeconds,
                SchedulerId = _options.Id,
            },
        });
        OnWorkerRegistered(registration.Name);
        _state.AddWorker(session.Id, new WorkerSpec(registration.Name, registration.Address, (int)Math.Max(1, registration.Nthreads),
            (long)registration.MemoryLimit, new Dictionary<string, double>(registration.Resources), held) { Pid = registration.Pid }, now);

        // After AddWorker: the results a reconnecting worker still holds stay in memory when its old session goes.
        ReplacePreviousRegistration(session, registration, now);

        // A reconnecting worker may hold results the scheduler forgot meanwhile: it may drop them.
        FreeKeys? unknown = null;
        foreach (var pair in held)
        {
            if (_state.TaskIdOf(pair.Key) < 0) (unknown ??= new FreeKeys()).Keys.Add(pair.Key);
        }

        if (unknown is not null) TrySend(session, new Envelope { FreeKeys = unknown }, default);
        SchedulerLog.WorkerJoined(_logger, registration.Name, registration.Address, (int)registration.Nthreads);
    }

    private void OnDisconnected(Session session, string reason, double now)
    {
        if (session.Role == Role.Worker)
        {
            WorkerDisconnected(session, reason, now);
        }
        else if (session.Role == Role.Client)
        {
            bool known;
            lock (_workers) known = _clients.Remove(session.Id);
            if (known)
            {
                _state.RemoveClient(session.Id);
                _idleSince = -1; // idle counts from the next tick: a client that came and went between two ticks must not be missed
                CoordinationClientLeft(session.Id, now);
                SchedulerLog.ClientLeft(_logger, session.Connection.Peer.Name, reason);
            }
        }
    }

    private void CancelKeys(Session session, CancelKeys cancel, double now)
    {
        _state.CancelKeys(session.Id, cancel.Keys, now);
    }

    private void ScatterUpdate(Session session, ScatterUpdate update, double now)
    {
        var workers = new List<int>(update.Workers.Count);
        foreach (var address in update.Workers)
        {
            if (_workerByAddress.TryGetValue(address, out var id)) workers.Add(id);
        }

        _state.ScatterData(session.Id, update.Keys.Select(k => new KeyValuePair<string, long>(k.Key, (long)k.Nbytes)).ToArray(), workers, update.Wanted, now,
            update.Keys.Select(k => k.Generation).ToArray());
    }

    private void WhoHas(Session session, WhoHasRequest request)
    {
        var reply = new WhoHasReply { RequestId = request.RequestId };
        foreach (var key in request.Keys)
        {
            var location = new KeyLocation { Key = key };
            var task = _state.TaskIdOf(key);
            if (task >= 0)
            {
                foreach (var worker in _state.WhoHas(task)) location.Workers.Add(AddressOf(worker));
                location.Nbytes = (ulong)Math.Max(0, _state.NbytesOf(task));
            }

            reply.Locations.Add(location);
        }

        session.Connection.Send(new Envelope { WhoHasReply = reply });
    }

    private void Identity(Session session, IdentityRequest request)
    {
        var reply = new IdentityReply { RequestId = request.RequestId, SchedulerId = _options.Id, Address = Address, Tasks = (ulong)_state.TaskCount,
            DashboardLink = DashboardLink ?? "", DashboardOpen = _dashboard?.Access.Open ?? false };
        lock (_workers)
        {
            foreach (var worker in _workers.Values.OrderBy(w => w.Id))
            {
                var r = worker.Registration!;
                var info = new WorkerInfo { Name = r.Name, Address = r.Address, Nthreads = r.Nthreads, MemoryLimit = r.MemoryLimit };
                info.Resources.Add(r.Resources);
                if (worker.LastHeartbeat is { } beat)
                {
                    info.Executing = beat.Executing;
                    info.Ready = beat.Ready;
                    info.ManagedBytes = beat.ManagedBytes;
                    info.StoredKeys = beat.StoredKeys;
                }

                reply.Workers.Add(info);
            }
        }

        session.Connection.Send(new Envelope { IdentityReply = reply });
    }

    /// <summary>
    /// A worker could not get a key from a peer. A report naming another process than the one now
    /// registered at that address is about a dead predecessor (a worker restarted on the same
    /// address): the live one may hold the key, so the report is ignored.
    /// </summary>
    private void MissingData(Session session, MissingData missing, double now)
    {
        var holder = _workerByAddress.GetValueOrDefault(missing.Worker, -1);
        var instance = holder >= 0 ? RegistrationOf(holder)?.InstanceId ?? "" : "";
        if (missing.WorkerInstance.Length > 0 && instance.Length > 0 && missing.WorkerInstance != instance)
        {
            SchedulerLog.MissingDataAboutPredecessor(_logger, missing.Key, missing.Worker, session.Registration?.Name ?? "");
            return;
        }

        var task = _state.TaskIdOf(missing.Key);
        var wasInMemory = task >= 0 && _state.StateOf(missing.Key) == TaskState.Memory;
        _state.MissingData(session.Id, missing.Key, holder, now);
        if (wasInMemory && _state.StateOf(missing.Key) != TaskState.Memory)
        {
            SchedulerLog.ResultLost(_logger, missing.Key, session.Registration?.Name ?? "", missing.Worker);
        }
    }

    private string AddressOf(int worker) => RegistrationOf(worker)?.Address ?? "";

    private RegisterWorker? RegistrationOf(int worker)
    {
        lock (_workers) return _workers.TryGetValue(worker, out var s) ? s.Registration : null;
    }
}

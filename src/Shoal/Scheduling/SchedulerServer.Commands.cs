using Shoal.Comm;
using Shoal.Protocol.Messages;
using Shoal.Protocol;
using Shoal.Transfer;

namespace Shoal.Scheduling;

internal sealed partial class SchedulerServer
{
    private readonly Dictionary<int, FreeKeys> _pendingFrees = new();

    /// <summary>Turns the state's commands into messages. Sends only queue; the writers batch them.</summary>
    private void EmitCommands()
    {
        var commands = _state.Commands;
        if (commands.IsEmpty) return;
        foreach (var command in commands)
        {
            switch (command.Kind)
            {
                case SchedulerCommandKind.Compute:
                    SendCompute(command.Target, command.Task);
                    break;
                case SchedulerCommandKind.FreeKeys:
                    if (!_pendingFrees.TryGetValue(command.Target, out var free)) _pendingFrees[command.Target] = free = new FreeKeys();
                    free.Keys.Add(_state.KeyOf(command.Task));
                    if (_state.ScatterGenerationOf(command.Task, command.Target) is var generation and not 0)
                        free.ScatterGenerations[_state.KeyOf(command.Task)] = generation;
                    break;
                case SchedulerCommandKind.StealRequest:
                    SendToWorker(command.Target, new Envelope { StealRequest = new StealRequest { Key = _state.KeyOf(command.Task), RunId = (ulong)_state.RunIdOf(command.Task) } });
                    break;
                case SchedulerCommandKind.KeyInMemory:
                    var memory = new KeyInMemory { Key = _state.KeyOf(command.Task), Nbytes = (ulong)Math.Max(0, _state.NbytesOf(command.Task)) };
                    foreach (var worker in _state.WhoHas(command.Task)) memory.Workers.Add(AddressOf(worker));
                    SendToClient(command.Target, new Envelope { KeyInMemory = memory });
                    break;
                case SchedulerCommandKind.KeyErred:
                    SendError(command.Target, command.Task);
                    break;
                case SchedulerCommandKind.KeyCancelled:
                    SendToClient(command.Target, new Envelope { KeyCancelled = new KeyCancelled { Key = _state.KeyOf(command.Task), Reason = "cancelled" } });
                    break;
                case SchedulerCommandKind.KeyRestarted:
                    SendToClient(command.Target, new Envelope { KeyCancelled = new KeyCancelled { Key = _state.KeyOf(command.Task), Reason = _restartCause } });
                    break;
                case SchedulerCommandKind.KeyLost:
                    SendToClient(command.Target, new Envelope { KeyLost = new KeyLost { Key = _state.KeyOf(command.Task) } });
                    break;
                case SchedulerCommandKind.RestoreKeys:
                    AddRestore(command.Target, command.Task);
                    break;
                default:
                    EmitOther(command);
                    break;
            }
        }

        FlushRestores();
        _state.ClearCommands();
        FlushFreeKeys();
    }

    /// <summary>
    /// Consecutive FreeKeys for a worker go out as one message, but never after a later command
    /// to the same worker: a key freed and then computed again must reach the worker in that order.
    /// </summary>
    private void FlushFreeKeys()
    {
        if (_pendingFrees.Count == 0) return;
        foreach (var (worker, free) in _pendingFrees) SendToWorkerNow(worker, new Envelope { FreeKeys = free });
        _pendingFrees.Clear();
    }

    private void SendCompute(int worker, int task)
    {
        var payload = _state.RunSpecOf(task)!;
        var compute = new ComputeTask
        {
            Key = _state.KeyOf(task),
            // The worker runs smaller numbers first; the state's run order is higher-first.
            Priority = -_state.RunOrderOf(task),
            RunFirstSegment = 0,
            RunSegmentCount = (uint)payload.Run.Length,
            RunId = (ulong)_state.RunIdOf(task),
        };
        foreach (var dependency in _state.DependenciesOf(task))
        {
            var d = new Dependency { Key = _state.KeyOf(dependency), Nbytes = (ulong)Math.Max(0, _state.NbytesOf(dependency)) };
            foreach (var holder in _state.WhoHas(dependency))
            {
                var registration = RegistrationOf(holder);
                d.Workers.Add(registration?.Address ?? "");
                d.WorkerInstances.Add(registration?.InstanceId ?? "");
            }

            compute.Dependencies.Add(d);
        }

        if (_state.ResourcesOf(task) is { } resources)
        {
            foreach (var pair in resources) compute.Resources.Add(new ResourceAmount { Name = pair.Key, Amount = pair.Value });
        }

        if (payload.Code.Length > 0) compute.CodeSet = CodeSetForWorker(worker, payload.Code);
        SendToWorker(worker, new Envelope { ComputeTask = compute }, payload.Run);
    }

    /// <summary>The number a worker knows a code set by, defined to it first if it is new there (the definition goes ahead of the task on the same connection).</summary>
    private uint CodeSetForWorker(int worker, Google.Protobuf.ByteString[] code)
    {
        if (!_workers.TryGetValue(worker, out var session)) return 0;
        if (session.CodeSetsSent.TryGet(code, out var id)) return id;
        id = session.CodeSetsSent.Add(code);
        var definition = new CodeSetDefinition { Id = id };
        definition.Hashes.AddRange(code);
        TrySend(session, new Envelope { CodeSetDefinition = definition }, default);
        return id;
    }

    private void SendError(int client, int task)
    {
        var key = _state.KeyOf(task);
        var failure = _state.ErrorOf(task);
        var error = failure?.Describe(key) ?? new RemoteError { TypeName = "Shoal.TaskException", Message = "the task failed", Key = key, StackTrace = "" };
        var original = (failure as TaskErrorPayload)?.Original;
        Segment[] segments = [];
        if (original is not null && _clients.TryGetValue(client, out var session) && session.Connection.IsInProcess)
        {
            error.Segment = 0;
            segments = [Segment.FromObject(original)];
        }
        else
        {
            error.Segment = -1;
        }

        SendToClient(client, new Envelope { KeyErred = new KeyErred { Key = key, Error = error } }, segments);
    }

    private void SendToWorker(int worker, Envelope message, ReadOnlySpan<Segment> segments = default)
    {
        if (_pendingFrees.Remove(worker, out var free)) SendToWorkerNow(worker, new Envelope { FreeKeys = free });
        SendToWorkerNow(worker, message, segments);
    }

    private void SendToWorkerNow(int worker, Envelope message, ReadOnlySpan<Segment> segments = default)
    {
        if (!_workers.TryGetValue(worker, out var session)) return;
        TrySend(session, message, segments);
    }

    private void SendToClient(int client, Envelope message, ReadOnlySpan<Segment> segments = default)
    {
        if (!_clients.TryGetValue(client, out var session)) return;
        TrySend(session, message, segments);
    }

    private void TrySend(Session session, Envelope message, ReadOnlySpan<Segment> segments)
    {
        try
        {
            session.Connection.Send(message, segments);
        }
        catch (ConnectionClosedException)
        {
            // Its receive loop reports the disconnection; the state hears of it then.
        }
    }

    private void EmitOther(SchedulerCommand command) =>
        SchedulerLog.UnknownCommand(_logger, command.Kind.ToString());
}

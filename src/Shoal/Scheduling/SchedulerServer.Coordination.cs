using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

// The I/O of the coordination primitives: requests in, answers out, published datasets held by the task state.
internal sealed partial class SchedulerServer
{
    private readonly CoordinationState _coordination = new();

    // Queue items that are futures, taken by a client that has not yet said it wants their keys: holder -> (client, key).
    private readonly Dictionary<int, (int Client, string Key)> _handedOver = new();

    private void HandleCoordination(Session session, IncomingMessage incoming, double now)
    {
        var request = incoming.Message.Coordination;
        if (request.Op == CoordinationOp.DatasetWantKeys)
        {
            // A client that got a dataset made futures for its keys: it wants them now (and hears of those done).
            var unknown = _state.WantExisting(session.Id, request.Keys, now);
            var reply = new CoordinationReply { RequestId = request.RequestId, Ok = true };
            reply.Keys.AddRange(unknown);
            SendToClient(session.Id, new Envelope { CoordinationReply = reply });
            return;
        }

        if (request.Op == CoordinationOp.FutureTaken)
        {
            FutureTaken(session, request, now);
            return;
        }

        CoordinationValue? value = null;
        if (request.HasValue)
        {
            // Kept past this message: byte segments are copied out of the receive buffer.
            var segments = incoming.Segments.ToArray();
            for (var i = 0; i < segments.Length; i++)
                if (!segments[i].IsObject) segments[i] = new Segment(segments[i].Bytes.ToArray());
            value = new CoordinationValue(segments, request.TypeName);
            if (request.FutureKey.Length > 0)
            {
                if (HoldFutureValue(session, request, now) is not { } holder) return;
                value = value with { FutureKey = request.FutureKey, Holder = holder };
            }
        }

        _coordination.Request(new CoordinationAsk(session.Id, request.RequestId, request.Op, request.Name)
        {
            Value = value,
            Timeout = request.Timeout,
            LeaseId = request.LeaseId,
            MaxLeases = (int)Math.Min(request.MaxLeases, int.MaxValue),
            Keys = [.. request.Keys],
            TypeNames = [.. request.TypeNames],
            Overwrite = request.Overwrite,
        }, now);
        FlushCoordination(now);
    }

    private void CancelCoordination(Session session, CoordinationCancel cancel, double now)
    {
        _coordination.Cancel(session.Id, cancel.RequestId);
        FlushCoordination(now);
    }

    private void CoordinationTick(double now)
    {
        _coordination.Tick(now);
        FlushCoordination(now);
    }

    private void CoordinationClientLeft(int client, double now)
    {
        foreach (var (holder, taken) in _handedOver.Where(h => h.Value.Client == client).ToArray())
        {
            _handedOver.Remove(holder);
            _state.LetGoKey(holder, taken.Key, now);
        }

        _coordination.ClientLeft(client);
        FlushCoordination(now);
    }

    /// <summary>Carries out what the coordination state decided: datasets held or let go, answers sent.</summary>
    private void FlushCoordination(double now)
    {
        foreach (var change in _coordination.TakeDatasetChanges())
        {
            if (change.Publish) _state.PublishDataset(change.Name, change.Keys, now);
            else _state.UnpublishDataset(change.Name, now);
        }

        foreach (var dropped in _coordination.TakeDroppedValues())
        {
            if (dropped.FutureKey.Length > 0) _state.LetGoKey(dropped.Holder, dropped.FutureKey, now);
        }

        foreach (var answer in _coordination.TakeAnswers())
        {
            var reply = new CoordinationReply { RequestId = answer.RequestId, Ok = answer.Ok, Error = answer.Error, Count = answer.Count };
            reply.Keys.AddRange(answer.Keys);
            reply.TypeNames.AddRange(answer.TypeNames);
            if (answer.Value is { } value)
            {
                reply.HasValue = true;
                reply.TypeName = value.TypeName;
                reply.FutureKey = value.FutureKey;
                if (value.FutureKey.Length > 0 && answer.HandedOver)
                {
                    // Out of the queue: the getter wants the key once it made its future (FUTURE_TAKEN), then this hold goes.
                    reply.FutureHold = value.Holder;
                    _handedOver[value.Holder] = (answer.Client, value.FutureKey);
                }

                SendToClient(answer.Client, new Envelope { CoordinationReply = reply }, value.Segments);
            }
            else
            {
                SendToClient(answer.Client, new Envelope { CoordinationReply = reply });
            }
        }
    }

    /// <summary>
    /// A future set as a variable's value or put in a queue: its key is held from now on, so the publisher may release
    /// it or leave. Null (and the request refused) when the scheduler does not know the key.
    /// </summary>
    private int? HoldFutureValue(Session session, CoordinationRequest request, double now)
    {
        string? error = request.Op is CoordinationOp.VariableSet or CoordinationOp.QueuePut ? null : $"{request.Op} takes no future";
        var holder = _state.NewKeyHolder();
        if (error is null && !_state.HoldKey(holder, request.FutureKey, now))
            error = $"future {request.FutureKey} is not known to the scheduler (released, or cancelled)";
        if (error is null) return holder;
        SendToClient(session.Id, new Envelope { CoordinationReply = new CoordinationReply { RequestId = request.RequestId, Error = error } });
        return null;
    }

    /// <summary>A client made a future for a queue item it took: it wants the key now, and the item's hold goes.</summary>
    private void FutureTaken(Session session, CoordinationRequest request, double now)
    {
        var unknown = _state.WantExisting(session.Id, request.Keys, now);
        if (long.TryParse(request.LeaseId, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var id)
            && id is >= int.MinValue and <= int.MaxValue && _handedOver.TryGetValue((int)id, out var taken) && taken.Client == session.Id)
        {
            _handedOver.Remove((int)id);
            _state.LetGoKey((int)id, taken.Key, now);
        }

        var reply = new CoordinationReply { RequestId = request.RequestId, Ok = true };
        reply.Keys.AddRange(unknown);
        SendToClient(session.Id, new Envelope { CoordinationReply = reply });
    }
}

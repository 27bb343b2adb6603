using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

// The I/O of the coordination primitives: requests in, answers out, published datasets held by the task state.
internal sealed partial class SchedulerServer
{
    private readonly CoordinationState _coordination = new();

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

        CoordinationValue? value = null;
        if (request.HasValue)
        {
            // Kept past this message: byte segments are copied out of the receive buffer.
            var segments = incoming.Segments.ToArray();
            for (var i = 0; i < segments.Length; i++)
                if (!segments[i].IsObject) segments[i] = new Segment(segments[i].Bytes.ToArray());
            value = new CoordinationValue(segments, request.TypeName);
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

        foreach (var answer in _coordination.TakeAnswers())
        {
            var reply = new CoordinationReply { RequestId = answer.RequestId, Ok = answer.Ok, Error = answer.Error, Count = answer.Count };
            reply.Keys.AddRange(answer.Keys);
            reply.TypeNames.AddRange(answer.TypeNames);
            if (answer.Value is { } value)
            {
                reply.HasValue = true;
                reply.TypeName = value.TypeName;
                SendToClient(answer.Client, new Envelope { CoordinationReply = reply }, value.Segments);
            }
            else
            {
                SendToClient(answer.Client, new Envelope { CoordinationReply = reply });
            }
        }
    }
}

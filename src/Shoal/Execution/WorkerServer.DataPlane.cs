using Shoal.Comm;
using Shoal.Protocol.Messages;
using Shoal.Protocol;
using Shoal.Transfer;
using Body = Shoal.Protocol.Messages.Envelope.BodyOneofCase;

namespace Shoal.Execution;

internal sealed partial class WorkerServer
{
    /// <summary>Serves one peer or client connection: results out (GetData), scattered values in (PutData).</summary>
    private async Task ServePeerAsync(IConnection connection)
    {
        var byReference = connection.IsInProcess;
        _instruments.Traffic.Track(connection);
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var incoming = await connection.ReceiveAsync(_stopping.Token).ConfigureAwait(false);
                if (incoming is null) break;
                var message = incoming.Value.Message;
                switch (message.BodyCase)
                {
                    case Body.GetData:
                        ServeGetData(connection, message.GetData, byReference);
                        break;
                    case Body.PutData:
                        AcceptPutData(connection, message.PutData, incoming.Value.Segments.Span);
                        break;
                    case Body.Ping:
                        connection.Send(new Envelope { Pong = new Pong { RequestId = message.Ping.RequestId } });
                        break;
                    case Body.Story:
                        // The state belongs to the loop: it answers there.
                        _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.Story) { Payload = new StoryAsk(connection, message.Story) });
                        break;
                    default:
                        WorkerLog.RefusedPeerMessage(_logger, connection.RemoteAddress, message.BodyCase.ToString());
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // closing
        }
        catch (Exception e)
        {
            WorkerLog.PeerFailed(_logger, connection.RemoteAddress, e.Message);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void ServeGetData(IConnection connection, GetData request, bool byReference)
    {
        var reply = new DataReply { RequestId = request.RequestId };
        var segments = new List<Segment>();
        long served = 0;
        foreach (var key in request.Keys)
        {
            if (!_store.TryGetForPeer(key, byReference, out var encoded))
            {
                reply.Missing.Add(key);
                continue;
            }

            reply.Values.Add(new ValueRef
            {
                Key = key,
                FirstSegment = (uint)segments.Count,
                SegmentCount = (uint)encoded.Segments.Length,
                Nbytes = (ulong)Math.Max(0, encoded.Nbytes),
                TypeName = encoded.TypeName,
            });
            segments.AddRange(encoded.Segments);
            served += Math.Max(0, encoded.Nbytes);
        }

        _instruments.Served(served);
        connection.Send(new Envelope { DataReply = reply }, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(segments));
    }

    private void AcceptPutData(IConnection connection, PutData put, ReadOnlySpan<Segment> segments)
    {
        var received = new List<KeyValuePair<string, long>>(put.Values.Count);
        foreach (var value in put.Values)
        {
            received.Add(new(value.Key, StoreReceived(value, segments)));
        }

        _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.DataPut) { Received = received });
        connection.Send(new Envelope { Ack = new Ack { RequestId = put.RequestId } });
    }
}

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

    /// <summary>
    /// Hands scattered values to the worker loop, which stores them and acknowledges: stored there, in the loop's
    /// order, a FreeKeys of an earlier scatter of the same key that the loop applies first cannot release the value
    /// this put brings, and a peer asking for the key once the client's acknowledgement let the scheduler know of it
    /// finds it stored.
    /// </summary>
    private void AcceptPutData(IConnection connection, PutData put, ReadOnlySpan<Segment> segments) =>
        _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.DataPut) { Put = new ReceivedPut(connection, put, segments.ToArray()) });

    /// <summary>Stores a client's put, applies it to the state, then acknowledges it.</summary>
    private void StorePut(ReceivedPut put, double now)
    {
        var received = new KeyValuePair<string, long>[put.Message.Values.Count];
        var generations = new ulong[received.Length];
        for (var i = 0; i < received.Length; i++)
        {
            var value = put.Message.Values[i];
            received[i] = new(value.Key, StoreReceived(value, put.Segments));
            generations[i] = value.Generation;
        }

        Apply(_state.DataPut(received, now, generations));
        put.From.Send(new Envelope { Ack = new Ack { RequestId = put.Message.RequestId } });
    }
}

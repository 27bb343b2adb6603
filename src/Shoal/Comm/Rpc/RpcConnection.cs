using System.Collections.Concurrent;
using Shoal.Protocol.Messages;
using Shoal.Protocol;

namespace Shoal.Comm.Rpc;

/// <summary>
/// Request/response on top of a message connection: a receive loop hands replies (messages with a
/// request id) to whoever is awaiting them and everything else to a handler. Many requests can be
/// in flight at once; they share the connection's batched writer.
/// </summary>
internal sealed class RpcConnection : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<IncomingMessage>> _pending = new();
    private readonly Func<IncomingMessage, ValueTask>? _onMessage;
    private readonly Task _receiveLoop;
    private long _nextId;

    public RpcConnection(IConnection connection, Func<IncomingMessage, ValueTask>? onMessage)
    {
        Connection = connection;
        _onMessage = onMessage;
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    public IConnection Connection { get; }

    /// <summary>Completes when the receive loop ended (the connection closed); faults with the reason.</summary>
    public Task Completion => _receiveLoop;

    /// <summary>Why the connection closed, once it has.</summary>
    public Exception? CloseReason { get; private set; }

    public bool IsClosed { get; private set; }

    /// <summary>
    /// What requests fail with once the connection closed, from its close reason; by default a
    /// <see cref="ConnectionClosedException"/>. A client sets it so that its callers see one clear
    /// error for a lost scheduler, whichever call met the loss.
    /// </summary>
    public Func<Exception?, Exception>? ClosedError { get; set; }

    public ulong NextRequestId() => (ulong)Interlocked.Increment(ref _nextId);

    public void Send(Envelope message, ReadOnlySpan<Segment> segments = default) => Connection.Send(message, segments);

    /// <summary>Sends a request whose body carries <paramref name="requestId"/> and awaits its reply.</summary>
    public async Task<IncomingMessage> RequestAsync(ulong requestId, Envelope message, ReadOnlyMemory<Segment> segments, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<IncomingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = tcs;
        try
        {
            if (IsClosed) throw Closed();
            Connection.Send(message, segments.Span);
            using (cancellationToken.Register(static s => ((TaskCompletionSource<IncomingMessage>)s!).TrySetCanceled(), tcs))
            {
                var reply = await tcs.Task.ConfigureAwait(false);
                if (reply.Message.BodyCase == Envelope.BodyOneofCase.Error)
                    throw new RemoteCallException(reply.Message.Error.Message);
                return reply;
            }
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    private Exception Closed() => ClosedError?.Invoke(CloseReason) ?? ClosedConnection();

    private ConnectionClosedException ClosedConnection() =>
        CloseReason as ConnectionClosedException
        ?? new ConnectionClosedException($"connection to {Connection.RemoteAddress} closed" + (CloseReason is null ? "" : $": {CloseReason.Message}"), CloseReason);

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var incoming = await Connection.ReceiveAsync().ConfigureAwait(false);
                if (incoming is null) break;
                var message = incoming.Value;
                var id = ReplyId(message.Message);
                if (id != 0 && _pending.TryRemove(id, out var tcs))
                {
                    tcs.TrySetResult(message);
                    continue;
                }

                if (_onMessage is not null) await _onMessage(message).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            CloseReason = e;
        }
        finally
        {
            IsClosed = true;
            var closed = Closed();
            foreach (var pair in _pending)
            {
                pair.Value.TrySetException(closed);
            }
        }
    }

    /// <summary>The request id of a reply message, or 0 when the message is not a reply.</summary>
    internal static ulong ReplyId(Envelope message) => message.BodyCase switch
    {
        Envelope.BodyOneofCase.DataReply => message.DataReply.RequestId,
        Envelope.BodyOneofCase.WhoHasReply => message.WhoHasReply.RequestId,
        Envelope.BodyOneofCase.IdentityReply => message.IdentityReply.RequestId,
        Envelope.BodyOneofCase.AdaptiveTargetReply => message.AdaptiveTargetReply.RequestId,
        Envelope.BodyOneofCase.HasCodeReply => message.HasCodeReply.RequestId,
        Envelope.BodyOneofCase.RetireWorkersReply => message.RetireWorkersReply.RequestId,
        Envelope.BodyOneofCase.RestartReply => message.RestartReply.RequestId,
        Envelope.BodyOneofCase.RebalanceReply => message.RebalanceReply.RequestId,
        Envelope.BodyOneofCase.CodeReply => message.CodeReply.RequestId,
        Envelope.BodyOneofCase.Ack => message.Ack.RequestId,
        Envelope.BodyOneofCase.Error => message.Error.RequestId,
        Envelope.BodyOneofCase.Pong => message.Pong.RequestId,
        Envelope.BodyOneofCase.StoryReply => message.StoryReply.RequestId,
        Envelope.BodyOneofCase.WorkerLogsReply => message.WorkerLogsReply.RequestId,
        Envelope.BodyOneofCase.PerformanceReportData => message.PerformanceReportData.RequestId,
        Envelope.BodyOneofCase.ClusterStateReply => message.ClusterStateReply.RequestId,
        Envelope.BodyOneofCase.RunSpecReply => message.RunSpecReply.RequestId,
        Envelope.BodyOneofCase.CoordinationReply => message.CoordinationReply.RequestId,
        _ => 0,
    };

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync().ConfigureAwait(false);
        try { await _receiveLoop.ConfigureAwait(false); } catch { /* the close reason is kept */ }
    }
}

/// <summary>The remote side answered a request with an error.</summary>
internal sealed class RemoteCallException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RemoteCallException(string message) : base(message) { }
}

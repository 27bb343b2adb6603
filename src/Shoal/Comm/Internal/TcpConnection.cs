using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm.Internal;

/// <summary>
/// A connection over a byte stream, after its handshake. Three loops, Kestrel style:
/// <list type="bullet">
/// <item>the send loop drains every queued message into frames written to the send pipe;</item>
/// <item>the socket sender reads the send pipe and writes to the socket (gather writes); a segment
/// of at least 1 MiB is not copied into the pipe: once the pipe is drained, the socket sender
/// writes it from the value's own memory;</item>
/// <item>the receive loop reads the socket into the receive pipe and decodes frames from it into
/// a bounded frame queue; the body of a big segment it receives straight into its array.</item>
/// </list>
/// Back-pressure: the send pipe pauses the send loop when the socket is slow; the bounded frame
/// queue stops the receive loop, and so the socket reads, when the application does not receive.
/// <see cref="Send"/> never blocks: its queue is unbounded (the caller is responsible for not
/// queueing more than it can afford; <see cref="FlushAsync"/> lets it wait).
/// </summary>
internal sealed partial class TcpConnection : IConnection, IConnectionTraffic
{
    private const int StateOpen = 0, StateClosing = 1, StateClosed = 2;
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(5);

    // Decoded frames waiting for ReceiveAsync; beyond this the socket is no longer read. Frames
    // are cut at about TargetFrameSize, so this bounds the unread backlog to about 16 MiB.
    private const int MaxQueuedFrames = 16;

    // A segment missing at least this much is received straight into its array.
    private const int DirectReceiveThreshold = 64 * 1024;

    // A segment at least this big is sent from its own memory rather than copied into the send pipe.
    private const int DirectSendThreshold = 1024 * 1024;

    private readonly ByteChannel _socket;
    private readonly ILogger _logger;
    private readonly long _maxFrameSize;
    private readonly int _targetFrameSize;
    private readonly Pipe _sendPipe;
    private readonly Pipe _receivePipe;
    private readonly FrameDecoder _decoder;
    private readonly Channel<DecodedFrame> _frames;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _receiveDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _sendDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendSignal = new(0);

    // A big segment handed from the send loop to the socket sender (see SendDirectAsync).
    private DirectSend? _direct;

    // Send queue, guarded by _gate; swapped with the spares by the send loop.
    private readonly Lock _gate = new();
    private List<OutgoingMessage> _pending = [];
    private List<Segment> _pendingSegments = [];
    private List<OutgoingMessage> _spare = [];
    private List<Segment> _spareSegments = [];
    private bool _signaled;
    private long _enqueued;
    private long _written;
    private readonly List<(long Target, TaskCompletionSource Done)> _flushWaiters = [];

    private int _state;
    private volatile bool _discardIncoming;
    private volatile string? _closeReason;
    private ConnectionClosedException? _receiveError;

    // Receive cursor (single consumer).
    private DecodedFrame? _current;
    private int _cursor;

    public TcpConnection(ByteChannel socket, PeerInfo peer, ConnectionOptions options)
    {
        _socket = socket;
        Peer = peer;
        _logger = options.LoggerFactory.CreateLogger("Shoal.Comm.Connection");
        _maxFrameSize = options.MaxFrameSize;
        _targetFrameSize = (int)Math.Min(options.TargetFrameSize, options.MaxFrameSize);
        // Reader continuations run inline: the socket sender runs on the send loop's flush and the
        // frame reader on the socket receiver's flush, saving a thread-pool hop each way.
        _sendPipe = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.ThreadPool,
            pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, minimumSegmentSize: 64 * 1024, useSynchronizationContext: false));
        // The receive loop both writes and reads this pipe: no pause threshold (back-pressure is
        // the bounded frame queue, which stops the loop and so the socket reads).
        _receivePipe = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 64 * 1024, useSynchronizationContext: false));
        _decoder = new FrameDecoder(options.MaxFrameSize, new ReceivedArrays());
        _frames = Channel.CreateBounded<DecodedFrame>(new BoundedChannelOptions(MaxQueuedFrames)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public PeerInfo Peer { get; }

    public string LocalAddress => _socket.LocalAddress;

    public string RemoteAddress => _socket.RemoteAddress;

    public Task Closed => _closed.Task;

    /// <summary>Why the connection closed (null while open).</summary>
    internal string? CloseReason => _closeReason;

    /// <summary>Frames written so far (tests check that sends coalesce).</summary>
    internal long FramesSent;

    /// <summary>Frames received so far.</summary>
    internal long FramesReceived;

    /// <summary>Bytes handed to the socket so far.</summary>
    internal long BytesSent;

    /// <summary>Bytes read from the socket so far.</summary>
    internal long BytesReceived;

    // Read by the metrics on a scrape, from another thread (each field has one writer, its loop).
    long IConnectionTraffic.FramesSent => Volatile.Read(ref FramesSent);

    long IConnectionTraffic.FramesReceived => Volatile.Read(ref FramesReceived);

    long IConnectionTraffic.BytesSent => Volatile.Read(ref BytesSent);

    long IConnectionTraffic.BytesReceived => Volatile.Read(ref BytesReceived);

    /// <summary>
    /// True when the peer sent something this process has not handed on yet: decoded frames
    /// waiting for <see cref="ReceiveAsync"/>, or bytes waiting in the kernel. A starved process
    /// (busy cores, a long collection) may see no message for a while though its peer is talking.
    /// </summary>
    /// <inheritdoc />
    public bool IsInProcess => false;

    /// <inheritdoc />
    public bool HasUnreadInput => _frames.Reader.Count > 0 || _socket.HasUnreadBytes;

    /// <summary>
    /// Decoded frames nobody received yet are at the bound and more bytes wait in the socket: the
    /// receive loop has stopped reading, so the sender's bytes back up (tests of back-pressure).
    /// </summary>
    internal bool ReceiveQueueFull => _frames.Reader.Count >= MaxQueuedFrames && _socket.HasUnreadBytes;

    /// <summary>Starts the loops; called once after the handshake.</summary>
    public void Start()
    {
        _ = SendLoopAsync();
        _ = SocketSendLoopAsync();
        _ = ReceiveLoopAsync();
    }

    private string Describe() => Peer.Name.Length > 0
        ? $"{RemoteAddress} ({RoleNames.Of(Peer.Role)} '{Peer.Name}')"
        : $"{RemoteAddress} ({RoleNames.Of(Peer.Role)})";

    private ConnectionClosedException ClosedError() =>
        new($"connection to {Describe()} is closed: {_closeReason ?? "closing"}");

    // ------------------------------------------------------------------ closing

    private void OnPeerClosed()
    {
        _frames.Writer.TryComplete();
        if (Interlocked.CompareExchange(ref _state, StateClosing, StateOpen) != StateOpen) return;
        _closeReason = "closed by the peer";
        _sendSignal.Release();
        _ = FinishAsync();
    }

    public async ValueTask CloseAsync(string reason)
    {
        if (Interlocked.CompareExchange(ref _state, StateClosing, StateOpen) == StateOpen)
        {
            _closeReason = $"closed locally ({reason})";
            _discardIncoming = true;
            _frames.Writer.TryComplete();
            _sendSignal.Release();
            await FinishAsync().ConfigureAwait(false);
        }
        await _closed.Task.ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => CloseAsync("disposed");

    /// <summary>Graceful end: let the send side drain and send FIN, wait for the peer's FIN, then release the socket.</summary>
    private async Task FinishAsync()
    {
        try
        {
            await Task.WhenAll(_sendDone.Task, _receiveDone.Task).WaitAsync(LingerTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The peer does not read or does not close: drop it.
        }
        lock (_gate) _state = StateClosed;
        CommLog.ConnectionClosed(_logger, RemoteAddress, _closeReason ?? "closed");
        Release();
    }

    /// <summary>Closes because of an error: the socket is dropped at once; ReceiveAsync throws the reason.</summary>
    internal void Abort(string reason, Exception? exception)
    {
        int previous;
        lock (_gate)
        {
            previous = _state;
            _state = StateClosed;
        }
        if (previous == StateClosed) return;
        if (previous == StateOpen)
        {
            _closeReason = reason;
            var error = new ConnectionClosedException($"connection to {Describe()} closed: {reason}", exception);
            Volatile.Write(ref _receiveError, error);
            CommLog.ConnectionFailed(_logger, error.Message, exception is ProtocolException ? null : exception);
        }
        _sendSignal.Release();
        Release();
    }

    private void Release()
    {
        _socket.Dispose();
        _frames.Writer.TryComplete();
        List<(long, TaskCompletionSource Done)> waiters;
        lock (_gate)
        {
            waiters = [.. _flushWaiters];
            _flushWaiters.Clear();
        }
        foreach (var waiter in waiters) waiter.Done.TrySetException(ClosedError());
        _closed.TrySetResult();
    }
}

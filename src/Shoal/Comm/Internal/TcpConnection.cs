using System.Buffers;
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
internal sealed class TcpConnection : IConnection
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

    /// <summary>
    /// True when the peer sent something this process has not handed on yet: decoded frames
    /// waiting for <see cref="ReceiveAsync"/>, or bytes waiting in the kernel. A starved process
    /// (busy cores, a long collection) may see no message for a while though its peer is talking.
    /// </summary>
    /// <inheritdoc />
    public bool IsInProcess => false;

    /// <inheritdoc />
    public bool HasUnreadInput => _frames.Reader.Count > 0 || _socket.HasUnreadBytes;

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

    // ------------------------------------------------------------------ sending

    public void Send(Envelope message, ReadOnlySpan<Segment> segments = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        long bytes = 0;
        foreach (ref readonly var segment in segments)
        {
            if (segment.IsObject)
                throw new InvalidOperationException(
                    $"object segments (Segment.FromObject) only travel over inproc:// connections; {RemoteAddress} needs bytes");
            bytes += segment.Length;
        }
        if (bytes > _maxFrameSize - 64)
            throw new InvalidOperationException($"a message with {bytes} bytes of segments exceeds the maximum frame size of {_maxFrameSize} bytes");

        lock (_gate)
        {
            if (_state != StateOpen) throw ClosedError();
            _pending.Add(new OutgoingMessage(message, _pendingSegments.Count, segments.Length));
            if (!segments.IsEmpty) _pendingSegments.AddRange(segments);
            _enqueued++;
            if (_signaled) return;
            _signaled = true;
        }
        _sendSignal.Release();
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (_written >= _enqueued) return ValueTask.CompletedTask;
            if (_state == StateClosed) return ValueTask.FromException(ClosedError());
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((_enqueued, done));
        }
        return new ValueTask(done.Task.WaitAsync(cancellationToken));
    }

    private async Task SendLoopAsync()
    {
        var writer = _sendPipe.Writer;
        try
        {
            while (true)
            {
                await _sendSignal.WaitAsync().ConfigureAwait(false);
                List<OutgoingMessage> messages;
                List<Segment> segments;
                long upTo;
                int state;
                lock (_gate)
                {
                    messages = _pending;
                    segments = _pendingSegments;
                    _pending = _spare;
                    _pendingSegments = _spareSegments;
                    _signaled = false;
                    upTo = _enqueued;
                    state = _state;
                }
                if (state == StateClosed) break;
                var completed = messages.Count > 0 && await WriteFramesAsync(writer, messages, segments).ConfigureAwait(false);
                // The drained lists become the spares (also when empty, so that the queue and the
                // spare never alias the same list).
                messages.Clear();
                segments.Clear();
                if (messages.Capacity > 65536) messages = []; // do not keep a burst's memory forever
                if (segments.Capacity > 65536) segments = [];
                _spare = messages;
                _spareSegments = segments;
                if (completed) break;
                CompleteFlushWaiters(upTo);
                if (state == StateClosing)
                {
                    lock (_gate)
                        if (_pending.Count == 0) break;
                }
            }
            await writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await writer.CompleteAsync(ex).ConfigureAwait(false);
            Abort($"sending failed: {ex.Message}", ex);
        }
    }

    private void CompleteFlushWaiters(long upTo)
    {
        List<TaskCompletionSource>? ready = null;
        lock (_gate)
        {
            _written = upTo;
            for (var i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                if (_flushWaiters[i].Target <= upTo)
                {
                    (ready ??= []).Add(_flushWaiters[i].Done);
                    _flushWaiters.RemoveAt(i);
                }
            }
        }
        if (ready is not null)
            foreach (var done in ready) done.TrySetResult();
    }

    /// <summary>Writes the messages as frames of about the target size; returns true when the pipe's reader is gone.</summary>
    private async ValueTask<bool> WriteFramesAsync(PipeWriter writer, List<OutgoingMessage> messageList, List<Segment> segmentList)
    {
        var count = messageList.Count;
        var bodySizes = ArrayPool<int>.Shared.Rent(count);
        try
        {
            for (var i = 0; i < count; i++) bodySizes[i] = messageList[i].Envelope.CalculateSize();
            var start = 0;
            long estimate = 0;
            long unflushed = 0;
            for (var i = 0; i <= count; i++)
            {
                long size = 0;
                if (i < count)
                {
                    var m = messageList[i];
                    size = bodySizes[i] + 24;
                    for (var s = 0; s < m.SegmentCount; s++) size += segmentList[m.SegmentStart + s].Length + 10;
                    if (i == start || estimate + size <= _targetFrameSize)
                    {
                        estimate += size;
                        continue;
                    }
                }
                // Emit messages [start, i).
                unflushed += await WriteFrameAsync(writer, messageList, segmentList, bodySizes, start, i).ConfigureAwait(false);
                if (unflushed >= 1024 * 1024 && i < count)
                {
                    var result = await writer.FlushAsync().ConfigureAwait(false);
                    if (result.IsCompleted) return true;
                    unflushed = 0;
                }
                start = i;
                estimate = size;
            }
            var flushed = await writer.FlushAsync().ConfigureAwait(false);
            return flushed.IsCompleted;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(bodySizes);
        }
    }

    private async ValueTask<long> WriteFrameAsync(PipeWriter writer, List<OutgoingMessage> messageList, List<Segment> segmentList,
        int[] bodySizes, int start, int end)
    {
        var messages = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(messageList)[start..end];
        var firstSegment = messages[0].SegmentStart;
        var endSegment = messages[^1].SegmentStart + messages[^1].SegmentCount;
        long segmentBytes;
        {
            var segments = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(segmentList)[firstSegment..endSegment];
            var batchLength = FrameEncoder.MeasureBatch(messages, bodySizes.AsSpan(start, end - start), segments, out segmentBytes);
            FrameEncoder.WriteHead(writer, messages, bodySizes.AsSpan(start, end - start), segments, batchLength, segmentBytes);
        }
        FramesSent++;
        // Segments: small ones are copied into the pipe; between big ones the pipe is flushed so
        // that a 100 MB value streams out instead of sitting in pipe memory; a very big one is
        // not copied at all.
        long sinceFlush = 0;
        for (var s = firstSegment; s < endSegment; s++)
        {
            var bytes = segmentList[s].Bytes;
            if (bytes.Length >= DirectSendThreshold)
            {
                await SendDirectAsync(writer, bytes).ConfigureAwait(false);
                sinceFlush = 0;
                continue;
            }
            while (!bytes.IsEmpty)
            {
                var chunk = bytes[..Math.Min(bytes.Length, 256 * 1024)];
                FrameEncoder.WriteSegment(writer, chunk.Span);
                bytes = bytes[chunk.Length..];
                sinceFlush += chunk.Length;
                if (sinceFlush >= 1024 * 1024)
                {
                    var result = await writer.FlushAsync().ConfigureAwait(false);
                    if (result.IsCompleted) throw new IOException("the socket sender stopped");
                    sinceFlush = 0;
                }
            }
        }
        return segmentBytes + 64;
    }

    /// <summary>A segment the socket sender writes from its own memory, and the send loop waiting for it.</summary>
    private sealed record DirectSend(ReadOnlyMemory<byte> Bytes, TaskCompletionSource Done);

    /// <summary>
    /// Sends <paramref name="bytes"/> without copying them into the pipe: flushes what precedes
    /// them, hands them to the socket sender (waking it with a cancelled read), which writes them
    /// once the pipe is empty, and waits until they are sent; nothing else is written meanwhile.
    /// </summary>
    private async ValueTask SendDirectAsync(PipeWriter writer, ReadOnlyMemory<byte> bytes)
    {
        var flushed = await writer.FlushAsync().ConfigureAwait(false);
        if (flushed.IsCompleted) throw new IOException("the socket sender stopped");
        var direct = new DirectSend(bytes, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Volatile.Write(ref _direct, direct);
        _sendPipe.Reader.CancelPendingRead();
        if (await Task.WhenAny(direct.Done.Task, _sendDone.Task).ConfigureAwait(false) != direct.Done.Task)
            throw new IOException("the socket sender stopped");
        await direct.Done.Task.ConfigureAwait(false);
    }

    private async Task SocketSendLoopAsync()
    {
        var reader = _sendPipe.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await _socket.SendAsync(buffer, CancellationToken.None).ConfigureAwait(false);
                    BytesSent += buffer.Length;
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted) break;
                if (Volatile.Read(ref _direct) is not { } direct) continue;
                // A big segment waits: first whatever the send loop flushed before handing it over.
                if (reader.TryRead(out var rest))
                {
                    if (!rest.Buffer.IsEmpty || rest.IsCompleted)
                    {
                        reader.AdvanceTo(rest.Buffer.Start);
                        continue;
                    }
                    reader.AdvanceTo(rest.Buffer.End);
                }
                Volatile.Write(ref _direct, null);
                try
                {
                    await _socket.SendAsync(new ReadOnlySequence<byte>(direct.Bytes), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    direct.Done.TrySetException(ex);
                    throw;
                }
                BytesSent += direct.Bytes.Length;
                direct.Done.TrySetResult();
            }
            await reader.CompleteAsync().ConfigureAwait(false);
            _socket.ShutdownSend();
            _sendDone.TrySetResult();
        }
        catch (Exception ex)
        {
            await reader.CompleteAsync(ex).ConfigureAwait(false);
            _sendDone.TrySetResult();
            Abort($"sending failed: {ex.Message}", ex);
        }
    }

    // ------------------------------------------------------------------ receiving

    /// <summary>
    /// Reads the socket and decodes frames. Bytes go through the receive pipe, except the body of
    /// a big segment, which is received straight into the array the application will get (one
    /// copy less; over TLS also one pipe round per record less).
    /// </summary>
    private async Task ReceiveLoopAsync()
    {
        var writer = _receivePipe.Writer;
        var reader = _receivePipe.Reader;
        long leftOver = 0;
        try
        {
            while (true)
            {
                int n;
                if (leftOver == 0 && _decoder.TryGetSegmentTarget(DirectReceiveThreshold, out var target))
                {
                    n = await _socket.ReceiveAsync(target, CancellationToken.None).ConfigureAwait(false);
                    if (n == 0) break;
                    BytesReceived += n;
                    _decoder.SegmentReceived(n);
                    var none = ReadOnlySequence<byte>.Empty;
                    await DecodeAsync(none).ConfigureAwait(false);
                    continue;
                }
                var memory = writer.GetMemory(64 * 1024);
                n = await _socket.ReceiveAsync(memory, CancellationToken.None).ConfigureAwait(false);
                if (n == 0) break;
                BytesReceived += n;
                writer.Advance(n);
                await writer.FlushAsync().ConfigureAwait(false); // no pause threshold: completes at once
                if (!reader.TryRead(out var result)) throw new InvalidOperationException("the receive pipe lost what was just written");
                var buffer = result.Buffer;
                try
                {
                    buffer = await DecodeAsync(buffer).ConfigureAwait(false);
                }
                finally
                {
                    leftOver = buffer.Length;
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
            }
            if (_decoder.InFrame || leftOver > 0)
                throw new ProtocolException($"the peer closed the connection in the middle of a frame (after {_decoder.Progress(leftOver)})");
            await writer.CompleteAsync().ConfigureAwait(false);
            await reader.CompleteAsync().ConfigureAwait(false);
            _receiveDone.TrySetResult();
            OnPeerClosed();
        }
        catch (Exception ex)
        {
            await writer.CompleteAsync(ex).ConfigureAwait(false);
            await reader.CompleteAsync(ex).ConfigureAwait(false);
            _receiveDone.TrySetResult();
            var reason = ex switch
            {
                ProtocolException => ex.Message,
                ChannelClosedException => "closed",
                _ => $"receiving failed: {ex.Message}",
            };
            Abort(reason, ex);
        }
    }

    /// <summary>Decodes every complete frame in <paramref name="buffer"/> and queues it; returns what is left.</summary>
    private async ValueTask<ReadOnlySequence<byte>> DecodeAsync(ReadOnlySequence<byte> buffer)
    {
        while (_decoder.TryDecode(ref buffer, out var frame))
        {
            FramesReceived++;
            if (_discardIncoming || frame!.Messages.Count == 0) continue;
            if (_frames.Writer.TryWrite(frame)) continue;
            try
            {
                await _frames.Writer.WriteAsync(frame).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // Closed locally while waiting for the application: drop the frame, keep
                // reading until the peer's end-of-stream.
            }
        }
        return buffer;
    }

    public ValueTask<IncomingMessage?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var frame = _current;
        if (frame is not null) return new ValueTask<IncomingMessage?>(Next(frame));
        if (_frames.Reader.TryRead(out frame))
        {
            _current = frame;
            _cursor = 0;
            return new ValueTask<IncomingMessage?>(Next(frame));
        }
        return ReceiveSlowAsync(cancellationToken);
    }

    private async ValueTask<IncomingMessage?> ReceiveSlowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_frames.Reader.TryRead(out var frame))
            {
                _current = frame;
                _cursor = 0;
                return Next(frame);
            }
            if (!await _frames.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Volatile.Read(ref _receiveError) is { } error) throw error;
                return null;
            }
        }
    }

    private IncomingMessage Next(DecodedFrame frame)
    {
        var message = frame.Messages[_cursor++];
        if (_cursor == frame.Messages.Count) _current = null;
        return new IncomingMessage(message, frame.Segments.AsMemory((int)message.SegmentBase, (int)message.SegmentCount));
    }

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

using System.Buffers;
using System.IO.Pipelines;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm.Internal;

// Sending: the batched writer (messages into frames through the send pipe) and the socket sender, which writes big segments straight from their memory once the pipe is drained.
internal sealed partial class TcpConnection
{
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
}

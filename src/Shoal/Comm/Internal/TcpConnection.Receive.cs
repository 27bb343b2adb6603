using System.Buffers;
using System.Threading.Channels;
using Shoal.Protocol;

namespace Shoal.Comm.Internal;

// Receiving: the receive loop (socket into the frame decoder, big segments straight into their arrays) and ReceiveAsync.
internal sealed partial class TcpConnection
{
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
}

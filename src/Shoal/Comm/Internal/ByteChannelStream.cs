using System.Buffers;
using System.Runtime.CompilerServices;

namespace Shoal.Comm.Internal;

/// <summary>
/// A <see cref="ByteChannel"/> seen as a <see cref="Stream"/>, so that <c>SslStream</c> can sit on
/// top of it. Keeps the first bytes it read: when a TLS handshake fails they tell what the peer
/// actually sent (a plaintext Shoal hello, for instance).
/// <para>
/// SslStream reads and writes one TLS record (at most 16 KiB) at a time. One socket call per
/// record costs more than the cryptography on loopback (4× the TCP segments, a wake-up of the
/// peer per record), so this stream batches both ways:
/// </para>
/// <list type="bullet">
/// <item>between <see cref="BeginBatch"/> and <see cref="EndBatchAsync"/> the encrypted records
/// are gathered into one buffer of up to <see cref="BatchSize"/> and sent with one call;</item>
/// <item>while the peer streams (the previous read filled its buffer) and the socket holds more
/// than SslStream asks for, reads go through a staging buffer of <see cref="BatchSize"/>, so one
/// receive serves many records.</item>
/// </list>
/// Both buffers are rented only while they hold bytes: an idle or waiting connection holds none.
/// </summary>
internal sealed class ByteChannelStream : Stream
{
    /// <summary>
    /// Bytes gathered per socket write, and read per socket read while streaming. 1 MiB rather
    /// than 256 KiB: a 1 GB transfer makes a quarter of the socket calls and of the sender's
    /// waits for socket space (each a thread-pool wake-up), which showed as more MB/s and less CPU
    /// per GB on both workers (bench/RESULTS.md, "TLS bulk receive"). Still rented only while busy.
    /// </summary>
    internal const int BatchSize = 1024 * 1024;

    private readonly ByteChannel _channel;
    private readonly byte[] _head = new byte[8];

    private bool _batching;
    private byte[]? _writeBuffer;
    private int _writeFilled;

    private byte[]? _readBuffer;
    private int _readStart;
    private int _readEnd;
    private bool _streaming; // the last socket read filled its buffer

    public ByteChannelStream(ByteChannel channel) => _channel = channel;

    /// <summary>The first bytes received (up to 8).</summary>
    public ReadOnlySpan<byte> Head => _head.AsSpan(0, HeadLength);

    public int HeadLength { get; private set; }

    /// <summary>Socket writes so far (tests check that records are gathered).</summary>
    internal long ChannelWrites { get; private set; }

    /// <summary>Socket reads so far.</summary>
    internal long ChannelReads { get; private set; }

    /// <summary>True while a staging or gathering buffer is rented (tests check that an idle stream holds none).</summary>
    internal bool HoldsBuffers => _readBuffer is not null || _writeBuffer is not null;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    // ------------------------------------------------------------------ reading

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_readStart < _readEnd) return new ValueTask<int>(TakeStaged(buffer.Span));
        return ReadFromChannelAsync(buffer, cancellationToken);
    }

    private int TakeStaged(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, _readEnd - _readStart);
        _readBuffer.AsSpan(_readStart, n).CopyTo(destination);
        _readStart += n;
        if (_readStart == _readEnd) ReleaseReadBuffer();
        return n;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadFromChannelAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        // Staged only while the peer streams (the last read filled its buffer) and the socket
        // already holds more than the caller asked for: such a read completes at once, so the
        // staging buffer is never held by a read that waits. Otherwise straight into the
        // caller's buffer (asking the socket what it holds costs a system call: only when streaming).
        var staged = _streaming && buffer.Length < BatchSize && _channel.Available > buffer.Length;
        var target = buffer;
        if (staged)
        {
            _readBuffer = ArrayPool<byte>.Shared.Rent(BatchSize);
            target = _readBuffer.AsMemory(0, BatchSize);
        }
        int n;
        try
        {
            n = await _channel.ReceiveAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            ReleaseReadBuffer();
            throw new IOException(ex.Message, ex);
        }
        catch
        {
            ReleaseReadBuffer();
            throw;
        }
        ChannelReads++;
        // A zero-byte read (SslStream waiting for the next record without holding a buffer) says
        // nothing about streaming; counting it as a full read would cost a FIONREAD per wake-up.
        if (!target.IsEmpty) _streaming = n == target.Length;
        if (HeadLength < _head.Length && n > 0)
        {
            var take = Math.Min(n, _head.Length - HeadLength);
            target.Span[..take].CopyTo(_head.AsSpan(HeadLength));
            HeadLength += take;
        }
        if (!staged) return n;
        if (n == 0)
        {
            ReleaseReadBuffer();
            return 0;
        }
        _readStart = 0;
        _readEnd = n;
        return TakeStaged(buffer.Span);
    }

    private void ReleaseReadBuffer()
    {
        if (_readBuffer is { } buffer)
        {
            _readBuffer = null;
            _readStart = _readEnd = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // ------------------------------------------------------------------ writing

    /// <summary>
    /// From now until <see cref="EndBatchAsync"/>, writes are gathered and sent in calls of up to
    /// <see cref="BatchSize"/>. Only for a caller that writes application data through SslStream
    /// (SslStream serializes its writes, so nothing else writes meanwhile).
    /// </summary>
    public void BeginBatch() => _batching = true;

    /// <summary>Sends what the batch gathered and goes back to writing through.</summary>
    public async ValueTask EndBatchAsync(CancellationToken cancellationToken)
    {
        _batching = false;
        try
        {
            await SendGatheredAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReturnWriteBuffer();
        }
    }

    /// <summary>Drops what the batch gathered (a write failed: the connection is going down).</summary>
    public void AbandonBatch()
    {
        _batching = false;
        ReturnWriteBuffer();
    }

    private void ReturnWriteBuffer()
    {
        _writeFilled = 0;
        if (_writeBuffer is { } buffer)
        {
            _writeBuffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_batching || buffer.Length >= BatchSize) return WriteThroughAsync(buffer, cancellationToken);
        if (_writeBuffer is not null && _writeFilled + buffer.Length <= _writeBuffer.Length)
        {
            buffer.Span.CopyTo(_writeBuffer.AsSpan(_writeFilled));
            _writeFilled += buffer.Length;
            return ValueTask.CompletedTask;
        }
        return GatherSlowAsync(buffer, cancellationToken);
    }

    private async ValueTask GatherSlowAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await SendGatheredAsync(cancellationToken).ConfigureAwait(false);
        _writeBuffer ??= ArrayPool<byte>.Shared.Rent(BatchSize);
        buffer.Span.CopyTo(_writeBuffer.AsSpan(_writeFilled));
        _writeFilled += buffer.Length;
    }

    private async ValueTask WriteThroughAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await SendGatheredAsync(cancellationToken).ConfigureAwait(false);
        await SendAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask SendGatheredAsync(CancellationToken cancellationToken)
    {
        if (_writeFilled == 0) return ValueTask.CompletedTask;
        var filled = _writeFilled;
        _writeFilled = 0;
        return SendAsync(_writeBuffer.AsMemory(0, filled), cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        ChannelWrites++;
        try
        {
            await _channel.SendAsync(new ReadOnlySequence<byte>(buffer), cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        // The pooled buffers are not returned here: a read or a batch may still be running on
        // another thread when the connection is dropped; the GC takes them back.
        if (disposing) _channel.Dispose();
        base.Dispose(disposing);
    }
}

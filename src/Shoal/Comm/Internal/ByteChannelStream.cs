using System.Buffers;

namespace Shoal.Comm.Internal;

/// <summary>
/// A <see cref="ByteChannel"/> seen as a <see cref="Stream"/>, so that <c>SslStream</c> can sit on
/// top of it. Keeps the first bytes it read: when a TLS handshake fails they tell what the peer
/// actually sent (a plaintext Shoal hello, for instance).
/// </summary>
internal sealed class ByteChannelStream : Stream
{
    private readonly ByteChannel _channel;
    private readonly byte[] _head = new byte[8];

    public ByteChannelStream(ByteChannel channel) => _channel = channel;

    /// <summary>The first bytes received (up to 8).</summary>
    public ReadOnlySpan<byte> Head => _head.AsSpan(0, HeadLength);

    public int HeadLength { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await _channel.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
        if (HeadLength < _head.Length && n > 0)
        {
            var take = Math.Min(n, _head.Length - HeadLength);
            buffer.Span[..take].CopyTo(_head.AsSpan(HeadLength));
            HeadLength += take;
        }
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
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
        if (disposing) _channel.Dispose();
        base.Dispose(disposing);
    }
}

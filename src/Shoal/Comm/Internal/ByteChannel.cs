using System.Buffers;
using Shoal.Protocol;

namespace Shoal.Comm.Internal;

/// <summary>
/// A connected byte stream under a <see cref="TcpConnection"/>: a TCP socket today
/// (<see cref="SocketByteChannel"/>), a TLS stream over one later.
/// </summary>
internal abstract class ByteChannel : IDisposable
{
    /// <summary>Our end, as <c>tcp://ip:port</c>.</summary>
    public abstract string LocalAddress { get; }

    /// <summary>The peer's end, as <c>tcp://ip:port</c>.</summary>
    public abstract string RemoteAddress { get; }

    /// <summary>Reads what is available into <paramref name="buffer"/>; 0 at end of stream.</summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes all of <paramref name="data"/>.</summary>
    public abstract ValueTask SendAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken);

    /// <summary>Bytes received and not read yet (0 when unknown); lets a reader decide whether a big read would wait.</summary>
    public virtual int Available => 0;

    /// <summary>
    /// True when the peer's bytes wait in the kernel, not read yet: the peer spoke even if this
    /// process has not been scheduled to read it (under TLS: encrypted bytes count too).
    /// </summary>
    public virtual bool HasUnreadBytes => Available > 0;

    /// <summary>Ends our direction (the peer reads end of stream after what we sent).</summary>
    public abstract void ShutdownSend();

    /// <summary>Drops the connection at once.</summary>
    public abstract void Dispose();

    /// <summary>Reads exactly <paramref name="buffer"/>'s length (the handshake must not read past its messages).</summary>
    public async ValueTask ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var n = await ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new ProtocolException("the peer closed the connection during the handshake");
            buffer = buffer[n..];
        }
    }
}

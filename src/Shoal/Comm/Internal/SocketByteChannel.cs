using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Shoal.Protocol;

namespace Shoal.Comm.Internal;

/// <summary>
/// A connected TCP socket seen as a byte stream. Multi-segment sends go out as one gather write
/// (one syscall). A TLS stream would be a second implementation of the same few operations.
/// </summary>
internal sealed class SocketByteChannel : ByteChannel
{
    private readonly Socket _socket;
    private readonly List<ArraySegment<byte>> _gather = [];
    private int _disposed;

    public SocketByteChannel(Socket socket)
    {
        _socket = socket;
        socket.NoDelay = true;
        try
        {
            // Notice a peer whose machine vanished even when no heartbeat is due.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 5);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 4);
        }
        catch (SocketException)
        {
        }
        LocalAddress = Format(socket.LocalEndPoint);
        RemoteAddress = Format(socket.RemoteEndPoint);
    }

    public override string LocalAddress { get; }

    public override string RemoteAddress { get; }

    /// <summary>Formats an endpoint as <c>tcp://ip:port</c>.</summary>
    public static string Format(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => ShoalAddress.Tcp((ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address).ToString(), ip.Port).ToString(),
        null => "tcp://?",
        _ => "tcp://" + endPoint,
    };

    public override int Available
    {
        get
        {
            try { return _socket.Available; }
            catch (SocketException) { return 0; }
            catch (ObjectDisposedException) { return 0; }
        }
    }

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public override async ValueTask SendAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent;
            if (data.IsSingleSegment)
            {
                sent = await _socket.SendAsync(data.First, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _gather.Clear();
                foreach (var memory in data)
                {
                    if (!MemoryMarshal.TryGetArray(memory, out var segment))
                    {
                        _gather.Clear();
                        break;
                    }
                    _gather.Add(segment);
                }
                sent = _gather.Count > 0
                    ? await _socket.SendAsync(_gather, SocketFlags.None).ConfigureAwait(false)
                    : await _socket.SendAsync(data.First, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                _gather.Clear();
            }
            data = data.Slice(sent);
        }
    }

    /// <summary>Sends FIN: the peer reads end-of-stream after what we sent.</summary>
    public override void ShutdownSend()
    {
        try { _socket.Shutdown(SocketShutdown.Send); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _socket.Dispose();
    }
}

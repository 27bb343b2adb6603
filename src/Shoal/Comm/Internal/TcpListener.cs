using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm.Internal;

/// <summary>
/// A TCP listener: an accept loop that hands each socket to its own handshake task, so a slow or
/// hostile peer never holds up the others; connections that pass queue up for AcceptAsync.
/// </summary>
internal sealed class TcpListener : IListener
{
    private readonly Socket _socket;
    private readonly ListenerOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<IConnection> _accepted = Channel.CreateUnbounded<IConnection>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _handshakes = new();
    private Task _acceptLoop = Task.CompletedTask;
    private int _disposed;

    private readonly bool _tls;
    private int _pending;

    private TcpListener(Socket socket, ListenerOptions options, bool tls)
    {
        _tls = tls;
        _socket = socket;
        _options = options;
        _logger = options.LoggerFactory.CreateLogger("Shoal.Comm.Listener");
        var bound = (System.Net.IPEndPoint)socket.LocalEndPoint!;
        BoundAddress = Scheme(SocketByteChannel.Format(bound));
        Address = Scheme(SocketByteChannel.Format(new System.Net.IPEndPoint(ContactAddress.For(bound.Address), bound.Port)));
    }

    public string Address { get; }

    /// <summary>The address actually bound (0.0.0.0 when listening on every interface).</summary>
    public string BoundAddress { get; }

    private string Scheme(string address) => _tls ? address.Replace("tcp://", "tls://", StringComparison.Ordinal) : address;

    public static async Task<IListener> StartAsync(ShoalAddress address, ListenerOptions options, bool tls, CancellationToken cancellationToken)
    {
        var endPoint = await TcpTransport.ResolveAsync(address, listening: true, cancellationToken).ConfigureAwait(false);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endPoint);
            socket.Listen(options.Backlog);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {address}: {ex.Message}", ex);
        }
        var listener = new TcpListener(socket, options, tls);
        listener._acceptLoop = listener.AcceptLoopAsync();
        CommLog.Listening(listener._logger, listener.Address);
        return listener;
    }

    public async ValueTask<IConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            if (_accepted.Reader.TryRead(out var connection)) return connection;
        return null;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex)
            {
                // A connection reset before we accepted it and the like: keep listening.
                CommLog.AcceptFailed(_logger, Address, ex.Message);
                continue;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            if (Interlocked.Increment(ref _pending) > _options.MaxPendingHandshakes)
            {
                // A flood of connections that never authenticate must not grow without bound.
                Interlocked.Decrement(ref _pending);
                var remote = SocketByteChannel.Format(socket.RemoteEndPoint);
                socket.Dispose();
                CommLog.HandshakeFailed(_logger, remote, Address, $"dropped: {_options.MaxPendingHandshakes} handshakes already in progress");
                continue;
            }
            var handshake = HandshakeAsync(socket);
            _handshakes.TryAdd(handshake, 0);
            _ = handshake.ContinueWith((t, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _),
                _handshakes, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task HandshakeAsync(Socket socket)
    {
        await Task.Yield();
        ByteChannel channel = new SocketByteChannel(socket);
        var pending = true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(_options.HandshakeTimeout);
        try
        {
            var proved = Role.Unspecified;
            if (_tls)
            {
                var tls = await TlsByteChannel.AcceptAsync(channel, _options.Security!, _options.Role, _options, timeout.Token).ConfigureAwait(false);
                channel = tls;
                proved = tls.PeerRole;
            }
            var peer = await TcpHandshake.RunServerAsync(channel, _options, proved, timeout.Token).ConfigureAwait(false);
            Settled();
            var connection = new TcpConnection(channel, peer, _options);
            connection.Start();
            CommLog.Accepted(_logger, RoleNames.Of(peer.Role), peer.Name, channel.RemoteAddress);
            if (!_accepted.Writer.TryWrite(connection))
                await connection.CloseAsync("the listener stopped").ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Settled();
            channel.Dispose();
            if (_stop.IsCancellationRequested) return;
            var error = ex is OperationCanceledException
                ? new TimeoutException($"the handshake with {channel.RemoteAddress} did not finish within {_options.HandshakeTimeout.TotalSeconds:0.###} s")
                : ex;
            CommLog.HandshakeFailed(_logger, channel.RemoteAddress, Address, error.Message);
            try { _options.HandshakeFailed?.Invoke(channel.RemoteAddress, error); }
            catch (Exception callbackError) { CommLog.HandshakeFailed(_logger, channel.RemoteAddress, Address, "HandshakeFailed callback threw: " + callbackError.Message); }
        }

        void Settled()
        {
            if (!pending) return;
            pending = false;
            Interlocked.Decrement(ref _pending);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_handshakes.Keys).ConfigureAwait(false);
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out var connection))
            await connection.CloseAsync("the listener stopped").ConfigureAwait(false);
        _stop.Dispose();
    }
}

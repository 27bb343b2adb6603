using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Shoal.Protocol;

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

    private TcpListener(Socket socket, ListenerOptions options)
    {
        _socket = socket;
        _options = options;
        _logger = options.LoggerFactory.CreateLogger("Shoal.Comm.Listener");
        var bound = (System.Net.IPEndPoint)socket.LocalEndPoint!;
        BoundAddress = SocketByteChannel.Format(bound);
        Address = SocketByteChannel.Format(new System.Net.IPEndPoint(ContactAddress.For(bound.Address), bound.Port));
    }

    public string Address { get; }

    /// <summary>The address actually bound (0.0.0.0 when listening on every interface).</summary>
    public string BoundAddress { get; }

    public static async Task<IListener> StartAsync(ShoalAddress address, ListenerOptions options, CancellationToken cancellationToken)
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
        var listener = new TcpListener(socket, options);
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
            var handshake = HandshakeAsync(socket);
            _handshakes.TryAdd(handshake, 0);
            _ = handshake.ContinueWith((t, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _),
                _handshakes, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task HandshakeAsync(Socket socket)
    {
        await Task.Yield();
        var channel = new SocketByteChannel(socket);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(_options.HandshakeTimeout);
        try
        {
            var peer = await TcpHandshake.RunServerAsync(channel, _options, timeout.Token).ConfigureAwait(false);
            var connection = new TcpConnection(channel, peer, _options);
            connection.Start();
            CommLog.Accepted(_logger, RoleNames.Of(peer.Role), peer.Name, channel.RemoteAddress);
            if (!_accepted.Writer.TryWrite(connection))
                await connection.CloseAsync("the listener stopped").ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            channel.Dispose();
            if (_stop.IsCancellationRequested) return;
            var error = ex is OperationCanceledException
                ? new TimeoutException($"the handshake with {channel.RemoteAddress} did not finish within {_options.HandshakeTimeout.TotalSeconds:0.###} s")
                : ex;
            CommLog.HandshakeFailed(_logger, channel.RemoteAddress, Address, error.Message);
            try { _options.HandshakeFailed?.Invoke(channel.RemoteAddress, error); }
            catch (Exception callbackError) { CommLog.HandshakeFailed(_logger, channel.RemoteAddress, Address, "HandshakeFailed callback threw: " + callbackError.Message); }
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

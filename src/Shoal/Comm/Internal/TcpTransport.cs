using System.Net;
using System.Net.Sockets;

namespace Shoal.Comm.Internal;

/// <summary>The tcp:// transport.</summary>
internal sealed class TcpTransport : ITransport
{
    public string Scheme => "tcp";

    public async Task<IConnection> ConnectAsync(ShoalAddress address, ConnectionOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var text = address.ToString();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.HandshakeTimeout);
        Socket? socket = null;
        SocketByteChannel? channel = null;
        try
        {
            var endPoint = await ResolveAsync(address, listening: false, timeout.Token).ConfigureAwait(false);
            socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new IOException($"cannot connect to {text}: {ex.Message}", ex);
            }
            channel = new SocketByteChannel(socket);
            var peer = await TcpHandshake.RunClientAsync(channel, text, options, timeout.Token).ConfigureAwait(false);
            var connection = new TcpConnection(channel, peer, options);
            connection.Start();
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Dispose();
            throw new TimeoutException($"connecting to {text} did not finish within the handshake timeout of {options.HandshakeTimeout.TotalSeconds:0.###} s");
        }
        catch
        {
            Dispose();
            throw;
        }

        void Dispose()
        {
            if (channel is not null) channel.Dispose();
            else socket?.Dispose();
        }
    }

    public Task<IListener> ListenAsync(ShoalAddress address, ListenerOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        return TcpListener.StartAsync(address, options, cancellationToken);
    }

    /// <summary>Resolves a host: empty means any (listening) or loopback (connecting); "localhost" means IPv4 loopback.</summary>
    internal static async Task<IPEndPoint> ResolveAsync(ShoalAddress address, bool listening, CancellationToken cancellationToken)
    {
        var host = address.Host;
        if (host.Length == 0) return new IPEndPoint(listening ? IPAddress.Any : IPAddress.Loopback, address.Port);
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return new IPEndPoint(IPAddress.Loopback, address.Port);
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, address.Port);
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new IOException($"cannot resolve host '{host}' of {address}: {ex.Message}", ex);
        }
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new IOException($"host '{host}' of {address} has no addresses");
        return new IPEndPoint(chosen, address.Port);
    }
}

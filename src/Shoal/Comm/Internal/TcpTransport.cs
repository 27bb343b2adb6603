using System.Net;
using System.Net.Sockets;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm.Internal;

/// <summary>The tcp:// transport.</summary>
internal sealed class TcpTransport : ITransport
{
    private readonly bool _tls;

    /// <summary>Plain TCP, or TLS over TCP (<paramref name="tls"/>: the tls:// scheme).</summary>
    public TcpTransport(bool tls = false) => _tls = tls;

    public string Scheme => _tls ? "tls" : "tcp";

    public async Task<IConnection> ConnectAsync(ShoalAddress address, ConnectionOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var text = address.ToString();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.HandshakeTimeout);
        Socket? socket = null;
        ByteChannel? channel = null;
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
            if (_tls)
            {
                var security = options.Security ?? throw new InvalidOperationException($"{text}: a tls:// address needs SecurityOptions (a cluster CA and a certificate)");
                var tls = await TlsByteChannel.ConnectAsync(channel, security, options.Role, address.Host, text, timeout.Token).ConfigureAwait(false);
                channel = tls;
                var expected = options.Role == Role.Peer ? Role.Worker : Role.Scheduler;
                if (tls.PeerRole != expected && options.Role is Role.Peer or Role.Worker or Role.Client or Role.Nanny)
                    throw new System.Security.Authentication.AuthenticationException(
                        $"{text} presented a {RoleNames.Of(tls.PeerRole)} certificate where a {RoleNames.Of(expected)} was expected");
            }
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
        catch (IOException ex) when (_tls && channel is TlsByteChannel && ex is not ProtocolException and not ConnectionClosedException)
        {
            // TLS 1.3 checks our certificate after our side of the TLS handshake is done: a refusal shows up here.
            Dispose();
            throw new IOException($"{text} closed the TLS session during the handshake ({ex.Message}): our certificate was probably refused (not signed by the cluster CA, expired, or the wrong role)", ex);
        }
        catch (ProtocolException ex) when (_tls && channel is TlsByteChannel && ex.Message.Contains("closed the connection", StringComparison.Ordinal))
        {
            Dispose();
            throw new IOException($"{text} closed the TLS session during the handshake: our certificate was probably refused (not signed by the cluster CA, expired, or the wrong role)", ex);
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
        if (_tls && options.Security is not { UsesTls: true })
            throw new InvalidOperationException($"listening on {address} needs SecurityOptions with a cluster CA and a certificate");
        return TcpListener.StartAsync(address, options, _tls, cancellationToken);
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

using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Shoal.Protocol.Messages;

namespace Shoal.Bench;

/// <summary>
/// The ceiling of TLS on this machine for <see cref="TlsBenchmark"/>: a bare <c>SslStream</c>
/// pair over a loopback socket with the same certificates and protocols as tls://, one side
/// writing 1 MiB buffers, the other reading into a 1 MiB buffer. No framing, no copies of our own.
/// </summary>
internal sealed class TlsRawCeiling : IAsyncDisposable
{
    private readonly SslStream _client;
    private readonly SslStream _server;
    private readonly byte[] _send = new byte[1 << 20];
    private readonly byte[] _receive = new byte[1 << 20];

    private TlsRawCeiling(SslStream client, SslStream server)
    {
        _client = client;
        _server = server;
        Random.Shared.NextBytes(_send);
    }

    /// <summary>The cipher suite the pair negotiated (what tls:// negotiates too: same defaults).</summary>
    public TlsCipherSuite CipherSuite => _client.NegotiatedCipherSuite;

    public static async Task<TlsRawCeiling> ConnectAsync(SecurityOptions security, CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accepting = listener.AcceptAsync(cancellationToken);
        await client.ConnectAsync(listener.LocalEndPoint!, cancellationToken);
        var server = await accepting;
        server.NoDelay = true;
        // A benchmark on loopback: the peers are ours, so any certificate is accepted (throughput
        // does not depend on the check, which runs once per handshake).
        var clientSsl = new SslStream(new NetworkStream(client, ownsSocket: true), false, (_, _, _, _) => true);
        var serverSsl = new SslStream(new NetworkStream(server, ownsSocket: true), false, (_, _, _, _) => true);
        var serving = serverSsl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = security.CertificateFor(Role.Worker),
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        }, cancellationToken);
        await clientSsl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [security.CertificateFor(Role.Worker)!],
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        }, cancellationToken);
        await serving;
        return new TlsRawCeiling(clientSsl, serverSsl);
    }

    /// <summary>Moves <paramref name="bytes"/> (rounded up to 1 MiB) from client to server; returns bytes and seconds.</summary>
    public async Task<(long Bytes, double Seconds)> TransferAsync(long bytes, CancellationToken cancellationToken)
    {
        var total = (bytes + _send.Length - 1) / _send.Length * _send.Length;
        var stopwatch = Stopwatch.StartNew();
        var receiving = Task.Run(async () =>
        {
            long received = 0;
            while (received < total)
            {
                var n = await _server.ReadAsync(_receive, cancellationToken);
                if (n == 0) throw new IOException("closed early");
                received += n;
            }
        }, cancellationToken);
        for (long sent = 0; sent < total; sent += _send.Length)
            await _client.WriteAsync(_send, cancellationToken);
        await receiving;
        return (total, stopwatch.Elapsed.TotalSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }
}

using System.Net.Sockets;
using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Tests.Comm;
using static Shoal.Tests.Security.SecurityTestKit;

namespace Shoal.Tests.Security;

/// <summary>
/// Each hostile input closes that one connection with a logged reason naming the peer and the
/// cause, and the listener goes on serving a good client.
/// </summary>
public class HostileInputTests
{
    private static async Task<(IListener Listener, Failures Failures, CapturingLoggerFactory Logs)> ListenAsync(SecurityOptions? security, Action<ListenerOptions>? tune = null)
    {
        var failures = new Failures();
        var logs = new CapturingLoggerFactory();
        var options = Server(security, logs, failures.Report);
        tune?.Invoke(options);
        var listener = await Transports.ListenAsync(security is null ? "tcp://127.0.0.1:0" : "tls://127.0.0.1:0", options);
        return (listener, failures, logs);
    }

    private static async Task ExpectLoggedAsync(Failures failures, CapturingLoggerFactory logs, string cause)
    {
        var (remote, error) = await failures.NextAsync();
        error.Message.ShouldContain(cause);
        logs.Entries.ShouldContain(e => e.Message.Contains(remote) && e.Message.Contains(cause));
    }

    [Fact]
    public async Task Wrong_protocol_version_is_refused_naming_both_ranges()
    {
        var (listener, failures, logs) = await ListenAsync(Cluster);
        await using var _ = listener;
        var client = Client(Cluster);
        client.MinProtocol = client.MaxProtocol = 3;
        var error = await Should.ThrowAsync<HandshakeRefusedException>(() => Transports.ConnectAsync(listener.Address, client));
        error.Message.ShouldContain("protocol version 3 not supported, the scheduler speaks 1");
        await ExpectLoggedAsync(failures, logs, "protocol version 3 not supported");
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Fact]
    public async Task Garbage_before_the_handshake_is_closed()
    {
        var (listener, failures, logs) = await ListenAsync(null);
        await using var _ = listener;
        using (var raw = await RawPeer.ConnectAsync(listener.Address))
        {
            await raw.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            await raw.WaitForCloseAsync();
        }
        await ExpectLoggedAsync(failures, logs, "not a Shoal peer");
        await AssertServesGoodClientAsync(listener, null);
    }

    [Fact]
    public async Task Garbage_on_a_tls_port_is_closed()
    {
        var (listener, failures, logs) = await ListenAsync(Cluster);
        await using var _ = listener;
        using (var raw = await RawPeer.ConnectAsync(listener.Address.Replace("tls://", "tcp://")))
        {
            var junk = new byte[4096];
            new Random(11).NextBytes(junk);
            junk[0] = 0x16; // looks like a TLS record at first
            await raw.SendAsync(junk);
            await raw.WaitForCloseAsync();
        }
        await ExpectLoggedAsync(failures, logs, "TLS handshake failed");
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Fact]
    public async Task Handshake_that_never_finishes_times_out()
    {
        var (listener, failures, logs) = await ListenAsync(Cluster, o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        await using var _ = listener;
        using (var raw = await RawPeer.ConnectAsync(listener.Address.Replace("tls://", "tcp://")))
        {
            await raw.SendAsync([0x16, 0x03, 0x01]); // the start of a TLS record, then silence
            await raw.WaitForCloseAsync();
        }
        await ExpectLoggedAsync(failures, logs, "did not finish within");
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Fact]
    public async Task Flood_of_unauthenticated_connections_is_bounded()
    {
        var (listener, failures, logs) = await ListenAsync(null, o =>
        {
            o.MaxPendingHandshakes = 4;
            o.HandshakeTimeout = TimeSpan.FromSeconds(1);
        });
        await using var _ = listener;
        var flood = new List<RawPeer>();
        try
        {
            for (var i = 0; i < 40; i++) flood.Add(await RawPeer.ConnectAsync(listener.Address));
            // Beyond the limit, connections are dropped at once instead of each holding a handshake.
            var dropped = 0;
            foreach (var peer in flood)
            {
                var buffer = new byte[1];
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
                try
                {
                    if (await peer.Socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token) == 0) dropped++;
                }
                catch (OperationCanceledException) { }
                catch (SocketException) { dropped++; }
            }
            dropped.ShouldBeGreaterThanOrEqualTo(30);
            logs.Entries.ShouldContain(e => e.Message.Contains("handshakes already in progress"));
        }
        finally
        {
            foreach (var peer in flood) peer.Dispose();
        }
        // The flood's connections that held a handshake slot fail (they closed); then the listener serves again.
        for (var i = 0; i < 4; i++) await failures.NextAsync();
        await AssertServesGoodClientAsync(listener, null);
    }

    [Fact]
    public async Task Oversized_payload_inside_an_authenticated_session_closes_that_session()
    {
        var (listener, failures, logs) = await ListenAsync(Cluster, o => o.MaxFrameSize = 64 * 1024);
        await using var _ = listener;
        var connect = Transports.ConnectAsync(listener.Address, Client(Cluster));
        await using var server = (await listener.AcceptAsync().AsTask().WaitAsync(Patience))!;
        await using var client = await connect.WaitAsync(Patience);
        client.Send(CommTestHelpers.Ping(1), [new Segment(new byte[1024 * 1024])]);
        var error = await Should.ThrowAsync<ConnectionClosedException>(async () => await server.ReceiveAsync().AsTask().WaitAsync(Patience));
        error.Message.ShouldContain("exceeds");
        await client.Closed.WaitAsync(Patience);
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Fact]
    public async Task Certificate_of_the_right_CA_without_a_role_is_refused()
    {
        // Built by hand: Shoal's own tools never issue a certificate without a role.
        using var ca = Shoal.Security.CertificateAuthority.CreateCa("roleless-test", TimeSpan.FromDays(2));
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=nobody", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var bare = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
        using var roleless = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.CopyWithPrivateKey(bare, key);
        var serverSecurity = SecurityOptions.FromCertificates(ca, Shoal.Security.CertificateAuthority.Issue(ca, Role.Scheduler, ["localhost"], TimeSpan.FromDays(1)));
        var clientSecurity = SecurityOptions.FromCertificates(ca, Shoal.Security.CertificateAuthority.Issue(ca, Role.Client, ["localhost"], TimeSpan.FromDays(1)));
        var (listener, failures, logs) = await ListenAsync(serverSecurity);
        await using var _ = listener;

        // Speak TLS with the role-less certificate directly (SecurityOptions refuses to hold it).
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, new Uri(listener.Address.Replace("tls://", "http://")).Port);
        await using var ssl = new System.Net.Security.SslStream(new NetworkStream(socket, ownsSocket: false), false, (_, _, _, _) => true);
        try
        {
            await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [roleless],
            });
            await ssl.WriteAsync("SHOAL\u0001"u8.ToArray());
            await ssl.ReadAtLeastAsync(new byte[16], 1, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException) { }
        await ExpectLoggedAsync(failures, logs, "carries no Shoal role");
        await AssertServesGoodClientAsync(listener, clientSecurity);
    }
}

using System.Security.Authentication;
using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Tests.Comm;
using static Shoal.Tests.Security.SecurityTestKit;

namespace Shoal.Tests.Security;

/// <summary>tls:// connections: mutual authentication against the cluster CA, roles from certificates.</summary>
public class TlsTransportTests
{
    [Fact]
    public async Task Tls_connection_carries_messages_and_segments_both_ways()
    {
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(Cluster));
        listener.Address.ShouldStartWith("tls://127.0.0.1:");
        var connect = Transports.ConnectAsync(listener.Address, Client(Cluster));
        await using var server = (await listener.AcceptAsync().AsTask().WaitAsync(Patience))!;
        await using var client = await connect.WaitAsync(Patience);
        server.Peer.Role.ShouldBe(Role.Client);
        client.Peer.Role.ShouldBe(Role.Scheduler);
        client.RemoteAddress.ShouldStartWith("tls://");

        var big = new byte[3 * 1024 * 1024 + 17];
        new Random(7).NextBytes(big);
        client.Send(CommTestHelpers.Ping(1), [new Segment(big)]);
        var received = await server.ReceiveOneAsync();
        received.Message.Ping.RequestId.ShouldBe(1UL);
        received.Segments.Span[0].Bytes.ToArray().ShouldBe(big);
        server.Send(CommTestHelpers.Ping(2));
        (await client.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(2UL);
    }

    [Fact]
    public async Task Certificates_upgrade_a_tcp_address_to_tls()
    {
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", Server(Cluster));
        listener.Address.ShouldStartWith("tls://");
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Fact]
    public async Task Client_certificate_from_another_CA_is_refused_and_logged()
    {
        var failures = new Failures();
        var logs = new CapturingLoggerFactory();
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(Cluster, logs, failures.Report));
        var error = await Should.ThrowAsync<Exception>(() => Transports.ConnectAsync(listener.Address, Client(OtherCluster)));
        // Our side also distrusts their scheduler: "not signed by the cluster CA".
        error.Message.ShouldContain("not signed by the cluster CA");
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Fact]
    public async Task Server_sees_a_client_certificate_from_another_CA_as_not_signed_by_the_cluster_CA()
    {
        // A client that trusts our CA but shows a certificate from another one.
        var mixed = SecurityOptions.FromCertificates(Cluster.CaCertificate!, OtherCluster.ForRole(Role.Client).Certificate!);
        var failures = new Failures();
        var logs = new CapturingLoggerFactory();
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(Cluster, logs, failures.Report));
        var error = await Should.ThrowAsync<Exception>(() => Transports.ConnectAsync(listener.Address, Client(mixed)));
        error.ShouldBeAssignableTo<IOException>();
        var (remote, reason) = await failures.NextAsync();
        reason.Message.ShouldContain("not signed by the cluster CA");
        logs.Entries.ShouldContain(e => e.Message.Contains("not signed by the cluster CA") && e.Message.Contains(remote));
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Fact]
    public async Task Plaintext_client_on_a_tls_port_is_told_to_use_tls()
    {
        var failures = new Failures();
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(Cluster, failed: failures.Report));
        var plain = listener.Address.Replace("tls://", "tcp://");
        var error = await Should.ThrowAsync<HandshakeRefusedException>(() => Transports.ConnectAsync(plain, Client(null)));
        error.Message.ShouldContain("the scheduler requires TLS: pass SecurityOptions");
        (await failures.NextAsync()).Error.Message.ShouldContain("plaintext Shoal connection on a TLS port");
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Fact]
    public async Task Tls_client_on_a_plaintext_port_is_closed_with_a_logged_reason()
    {
        var failures = new Failures();
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", Server(null, failed: failures.Report));
        var tls = listener.Address.Replace("tcp://", "tls://");
        var error = await Should.ThrowAsync<Exception>(() => Transports.ConnectAsync(tls, Client(Cluster)));
        error.Message.ShouldContain("Is the peer listening with TLS");
        (await failures.NextAsync()).Error.Message.ShouldContain("TLS on a plaintext port");
        await AssertServesGoodClientAsync(listener, null);
    }

    [Fact]
    public async Task Client_certificate_cannot_connect_as_a_worker()
    {
        // (A worker certificate may connect as a client: its tasks submit tasks, see WorkerContext.)
        var failures = new Failures();
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(Cluster, failed: failures.Report));
        var clientOnly = Cluster.ForRole(Role.Client);
        var error = await Should.ThrowAsync<HandshakeRefusedException>(() => Transports.ConnectAsync(listener.Address,
            new ConnectionOptions { Role = Role.Worker, Name = "sneaky", Security = clientOnly }));
        error.Message.ShouldContain("a client certificate may not connect as worker");
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Fact]
    public async Task Expired_certificate_is_refused_with_its_reason()
    {
        using var ca = Shoal.Security.CertificateAuthority.CreateCa("expired-test", TimeSpan.FromDays(20), DateTimeOffset.UtcNow.AddDays(-10));
        var expired = Shoal.Security.CertificateAuthority.Issue(ca, Role.Client, ["localhost"], TimeSpan.FromDays(1), DateTimeOffset.UtcNow.AddDays(-5));
        var good = Shoal.Security.CertificateAuthority.Issue(ca, Role.Scheduler, ["localhost"], TimeSpan.FromDays(5));
        var serverSecurity = SecurityOptions.FromCertificates(ca, good);
        var failures = new Failures();
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(serverSecurity, failed: failures.Report));
        await Should.ThrowAsync<IOException>(() => Transports.ConnectAsync(listener.Address, Client(SecurityOptions.FromCertificates(ca, expired))));
        (await failures.NextAsync()).Error.Message.ShouldContain("expired");
    }

    [Fact]
    public async Task Tls_without_security_options_says_what_to_pass()
    {
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(Cluster));
        var error = await Should.ThrowAsync<InvalidOperationException>(() => Transports.ConnectAsync(listener.Address, Client(null)));
        error.Message.ShouldContain("needs SecurityOptions");
    }
}

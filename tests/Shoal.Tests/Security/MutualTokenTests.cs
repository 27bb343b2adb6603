using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Google.Protobuf;
using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Tests.Comm;
using static Shoal.Tests.Security.SecurityTestKit;

namespace Shoal.Tests.Security;

/// <summary>
/// Token authentication proves both ways: a listener that does not know the token gets no proof
/// and no message from a client, one side's proof cannot be reflected as the other's, and a peer
/// speaking the older one-way revision is told plainly what is wrong.
/// </summary>
public class MutualTokenTests
{
    private static readonly SecurityOptions Token = SecurityOptions.TemporaryToken();

    private static SecurityOptions ClientToken => SecurityOptions.FromToken(Token.TokenFor(Role.Client)!);

    [Fact]
    public async Task A_listener_with_another_clusters_token_is_refused_by_the_client_before_it_proves_anything()
    {
        var failures = new Failures();
        await using var impostor = await Transports.ListenAsync("tcp://127.0.0.1:0", Server(SecurityOptions.TemporaryToken(), failed: failures.Report));
        var error = await Should.ThrowAsync<AuthenticationException>(() => Transports.ConnectAsync(impostor.Address, Client(ClientToken)));
        error.Message.ShouldContain(impostor.Address);
        error.Message.ShouldContain("did not prove that it knows the cluster token");
        error.Message.ShouldContain("not a scheduler of the cluster our token belongs to");
        error.Message.ShouldContain("Nothing was sent");
        // The impostor saw the connection end where the client's proof should have come.
        var (_, seen) = await failures.NextAsync();
        seen.Message.ShouldContain("probably holds a different cluster's token");
    }

    [Fact]
    public async Task A_raw_impostor_with_a_made_up_proof_receives_nothing_after_its_welcome()
    {
        await using var impostor = await RawListener.StartAsync(hello => new Welcome
        {
            Protocol = hello.MaxProtocol,
            Role = Role.Scheduler,
            Name = "impostor",
            AuthVersion = 2,
            Challenge = ByteString.CopyFrom(new byte[32]),
            ListenerProof = ByteString.CopyFrom(Enumerable.Repeat((byte)7, 32).ToArray()),
        });
        var error = await Should.ThrowAsync<AuthenticationException>(() => Transports.ConnectAsync(impostor.Address, Client(ClientToken)));
        error.Message.ShouldContain("did not prove that it knows the cluster token");
        (await impostor.BytesAfterWelcomeAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task A_listener_that_accepts_without_a_challenge_is_refused()
    {
        await using var impostor = await RawListener.StartAsync(hello => new Welcome { Protocol = hello.MaxProtocol, Role = Role.Scheduler, Name = "open-door" });
        var error = await Should.ThrowAsync<AuthenticationException>(() => Transports.ConnectAsync(impostor.Address, Client(ClientToken)));
        error.Message.ShouldContain("accepted us without asking for the cluster token");
        error.Message.ShouldContain("Nothing was sent");
        (await impostor.BytesAfterWelcomeAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task A_worker_data_plane_impostor_is_named_as_not_a_worker_of_this_cluster()
    {
        await using var impostor = await Transports.ListenAsync("tcp://127.0.0.1:0", new ListenerOptions { Role = Role.Worker, Name = "fake", Security = SecurityOptions.TemporaryToken().ForRole(Role.Worker) });
        var error = await Should.ThrowAsync<AuthenticationException>(() => Transports.ConnectAsync(impostor.Address, Client(ClientToken, Role.Peer)));
        error.Message.ShouldContain("not a worker of the cluster our token belongs to");
    }

    [Fact]
    public async Task Reflecting_the_listeners_proof_as_the_clients_proof_is_refused()
    {
        var failures = new Failures();
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", Server(Token, failed: failures.Report));
        using var raw = await RawPeer.ConnectAsync(listener.Address);
        await using var stream = new NetworkStream(raw.Socket, ownsSocket: false);
        // A Hello as a client would send it, without knowing any key.
        var hello = new Hello { MinProtocol = ProtocolVersion.Min, MaxProtocol = ProtocolVersion.Max, Role = Role.Client, Name = "mirror", AuthMethod = "token", AuthVersion = 2, Nonce = ByteString.CopyFrom(new byte[32]) };
        hello.Claims["role"] = "client";
        await RawHandshake.WriteAsync(stream, HandshakeKind.Hello, hello, withPreamble: true);
        var welcome = (Welcome)await RawHandshake.ReadAsync(stream, withPreamble: true);
        welcome.ListenerProof.Length.ShouldBe(32);
        // The listener's proof, sent back as ours: the same key, the same challenge and nonce, but the other direction.
        await RawHandshake.WriteAsync(stream, HandshakeKind.AuthProof, new AuthProof { Proof = welcome.ListenerProof }, withPreamble: false);
        var verdict = await RawHandshake.ReadAsync(stream, withPreamble: false);
        verdict.ShouldBeOfType<Refusal>().Reason.ShouldContain("the token does not match this cluster");
        var (_, error) = await failures.NextAsync();
        error.Message.ShouldContain("refused client 'mirror'");
        await AssertServesGoodClientAsync(listener, ClientToken);
    }

    [Fact]
    public async Task A_hello_of_the_one_way_revision_is_refused_naming_both_versions()
    {
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", Server(Token));
        using var raw = await RawPeer.ConnectAsync(listener.Address);
        await using var stream = new NetworkStream(raw.Socket, ownsSocket: false);
        var hello = new Hello { MinProtocol = ProtocolVersion.Min, MaxProtocol = ProtocolVersion.Max, Role = Role.Client, Name = "old", AuthMethod = "token", Nonce = ByteString.CopyFrom(new byte[32]) };
        hello.Claims["role"] = "client";
        await RawHandshake.WriteAsync(stream, HandshakeKind.Hello, hello, withPreamble: true);
        var refusal = (await RawHandshake.ReadAsync(stream, withPreamble: true)).ShouldBeOfType<Refusal>();
        refusal.Reason.ShouldContain("token authentication version 1 not supported, this end speaks version 2");
    }

    [Fact]
    public async Task A_listener_of_the_one_way_revision_is_refused_naming_both_versions()
    {
        // What an older Shoal answers: a challenge, but no proof of its own.
        await using var old = await RawListener.StartAsync(hello => new Welcome { Protocol = hello.MaxProtocol, Role = Role.Scheduler, Name = "old", Challenge = ByteString.CopyFrom(new byte[32]) });
        var error = await Should.ThrowAsync<AuthenticationException>(() => Transports.ConnectAsync(old.Address, Client(ClientToken)));
        error.Message.ShouldContain("speaks token authentication version 1");
        error.Message.ShouldContain("needs version 2");
        (await old.BytesAfterWelcomeAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task The_real_cluster_proves_itself_both_ways_over_tcp_and_inproc()
    {
        await using var tcp = await Transports.ListenAsync("tcp://127.0.0.1:0", Server(Token));
        await AssertServesGoodClientAsync(tcp, ClientToken);
        await using var inproc = await Transports.ListenAsync("inproc://mutual-" + Guid.NewGuid().ToString("N"), Server(Token));
        await AssertServesGoodClientAsync(inproc, ClientToken);
        var error = await Should.ThrowAsync<AuthenticationException>(() =>
            Transports.ConnectAsync(inproc.Address, Client(SecurityOptions.FromToken(SecurityOptions.TemporaryToken().TokenFor(Role.Client)!))));
        error.Message.ShouldContain(inproc.Address + " did not prove that it knows the cluster token");
    }

    /// <summary>A listener that answers one Hello with a Welcome of the test's making, then counts what it receives.</summary>
    private sealed class RawListener : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly Task<int> _received;

        private RawListener(TcpListener listener, Func<Hello, Welcome> answer)
        {
            _listener = listener;
            _received = Task.Run(async () =>
            {
                using var socket = await _listener.AcceptSocketAsync();
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                var hello = (Hello)await RawHandshake.ReadAsync(stream, withPreamble: true);
                await RawHandshake.WriteAsync(stream, HandshakeKind.Welcome, answer(hello), withPreamble: true);
                var total = 0;
                var buffer = new byte[4096];
                using var timeout = new CancellationTokenSource(Patience);
                while (await stream.ReadAsync(buffer, timeout.Token) is var n and > 0) total += n;
                return total;
            });
        }

        public string Address => $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public static Task<RawListener> StartAsync(Func<Hello, Welcome> answer)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return Task.FromResult(new RawListener(listener, answer));
        }

        /// <summary>Bytes the client sent after our Welcome, up to its close.</summary>
        public Task<int> BytesAfterWelcomeAsync() => _received.WaitAsync(Patience);

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            try { await _received.WaitAsync(TimeSpan.FromSeconds(1)); }
            catch (Exception) { /* already checked, or never connected */ }
        }
    }
}

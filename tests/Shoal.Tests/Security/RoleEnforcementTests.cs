using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.Comm;
using static Shoal.Tests.Security.SecurityTestKit;

namespace Shoal.Tests.Security;

/// <summary>The scheduler takes a connection's role from its proved credential (certificate or token), not from its Hello.</summary>
public class RoleEnforcementTests
{
    public static TheoryData<string> Kinds => new() { "tls", "token" };

    private static readonly SecurityOptions ClusterToken = SecurityOptions.TemporaryToken();

    private static SecurityOptions ClusterOf(string kind) => kind == "tls" ? Cluster : ClusterToken;

    private static Task<SchedulerServer> StartAsync(string kind) => SchedulerServer.StartAsync(new SchedulerServerOptions
    {
        ListenAddress = "tcp://127.0.0.1:0",
        Security = ClusterOf(kind),
    });

    private static ConnectionOptions As(Role role, SecurityOptions credential) =>
        new() { Role = role, Name = "test-" + role, Security = credential, HandshakeTimeout = TimeSpan.FromSeconds(5) };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Client_credential_cannot_register_as_a_worker(string kind)
    {
        await using var scheduler = await StartAsync(kind);
        var client = ClusterOf(kind).ForRole(Role.Client);
        var error = await Should.ThrowAsync<HandshakeRefusedException>(() => Transports.ConnectAsync(scheduler.Address, As(Role.Worker, client)));
        error.Message.ShouldContain("client");
        error.Message.ShouldContain("may not connect as worker");
        scheduler.WorkerCount.ShouldBe(0);
        await AssertClientPingsAsync(scheduler, client);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Worker_credential_connects_as_a_client_for_its_tasks(string kind)
    {
        // Tasks submit tasks (WorkerContext.GetClientAsync) with their worker's credential, as in Dask; the connection
        // then has the client role's rights only (a worker-role connection still may not submit: the test below).
        await using var scheduler = await StartAsync(kind);
        await AssertClientPingsAsync(scheduler, ClusterOf(kind).ForRole(Role.Worker));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Worker_credential_trying_to_submit_is_cut_off(string kind)
    {
        await using var scheduler = await StartAsync(kind);
        await using var worker = await Transports.ConnectAsync(scheduler.Address, As(Role.Worker, ClusterOf(kind).ForRole(Role.Worker)));
        worker.Send(new Envelope { UpdateGraph = new UpdateGraph() });
        // The scheduler closes the connection instead of accepting the graph.
        await worker.Closed.WaitAsync(Patience);
        await AssertClientPingsAsync(scheduler, ClusterOf(kind).ForRole(Role.Client));
    }

    [Fact]
    public async Task Token_of_another_cluster_is_refused()
    {
        await using var scheduler = await StartAsync("token");
        var stranger = SecurityOptions.TemporaryToken().ForRole(Role.Client);
        // Tokens prove both ways: the client finds first that the scheduler cannot prove ITS token, and sends nothing.
        var error = await Should.ThrowAsync<System.Security.Authentication.AuthenticationException>(() => Transports.ConnectAsync(scheduler.Address, As(Role.Client, stranger)));
        error.Message.ShouldContain("did not prove that it knows the cluster token");
        error.Message.ShouldContain("check the address and the token");
    }

    [Fact]
    public async Task Unauthenticated_peer_is_told_to_pass_security_options()
    {
        await using var scheduler = await StartAsync("token");
        var error = await Should.ThrowAsync<HandshakeRefusedException>(() => Transports.ConnectAsync(scheduler.Address, As(Role.Client, null!)));
        error.Message.ShouldContain("pass SecurityOptions");
    }

    private static async Task AssertClientPingsAsync(SchedulerServer scheduler, SecurityOptions client)
    {
        await using var connection = await Transports.ConnectAsync(scheduler.Address, As(Role.Client, client));
        connection.Send(CommTestHelpers.Ping(9));
        var reply = await connection.ReceiveOneAsync();
        reply.Message.Pong.RequestId.ShouldBe(9UL);
    }
}

using Shoal.Comm;
using Shoal.Execution;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.Comm;
using static Shoal.Tests.Security.SecurityTestKit;

namespace Shoal.Tests.Security;

/// <summary>
/// A worker's data plane takes the scheduler's credentials and roles: peers (a worker's or a
/// client's credential announcing "peer") may fetch and put data, nothing else; other roles are
/// refused. And on the scheduler, a client's connection cannot register a worker by message.
/// </summary>
public class DataPlaneRoleTests
{
    public static TheoryData<string> Kinds => new() { "tls", "token" };

    private static readonly SecurityOptions ClusterToken = SecurityOptions.TemporaryToken();

    private static SecurityOptions ClusterOf(string kind) => kind == "tls" ? Cluster : ClusterToken;

    private static ConnectionOptions As(Role role, SecurityOptions credential) =>
        new() { Role = role, Name = "test-" + role, Security = credential, HandshakeTimeout = TimeSpan.FromSeconds(5) };

    private static async Task<(SchedulerServer Scheduler, WorkerServer Worker)> StartAsync(string kind)
    {
        var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = ClusterOf(kind) });
        var worker = await WorkerServer.StartAsync(new WorkerServerOptions
        {
            SchedulerAddress = scheduler.Address, ListenAddress = "tcp://127.0.0.1:0", Name = "dp-" + kind, NThreads = 1,
            Security = ClusterOf(kind).ForRole(Role.Worker),
        });
        return (scheduler, worker);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_clients_credential_may_fetch_as_a_peer_but_not_send_worker_messages(string kind)
    {
        var (scheduler, worker) = await StartAsync(kind);
        await using var _ = scheduler;
        await using var __ = worker;
        if (kind == "tls") worker.Address.ShouldStartWith("tls://");
        var client = ClusterOf(kind).ForRole(Role.Client);
        await using (var peer = await Transports.ConnectAsync(worker.Address, As(Role.Peer, client)))
        {
            peer.Send(CommTestHelpers.Ping(5));
            (await peer.ReceiveOneAsync()).Message.Pong.RequestId.ShouldBe(5UL);
            // A task to run is the scheduler's to send, never a peer's: the worker hangs up.
            peer.Send(new Envelope { ComputeTask = new ComputeTask { Key = "not-yours" } });
            await peer.Closed.WaitAsync(Patience);
        }
        await using var again = await Transports.ConnectAsync(worker.Address, As(Role.Peer, ClusterOf(kind).ForRole(Role.Worker)));
        again.Send(CommTestHelpers.Ping(6));
        (await again.ReceiveOneAsync()).Message.Pong.RequestId.ShouldBe(6UL);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_worker_data_plane_serves_no_client_or_worker_sessions(string kind)
    {
        var (scheduler, worker) = await StartAsync(kind);
        await using var _ = scheduler;
        await using var __ = worker;
        foreach (var role in new[] { Role.Client, Role.Worker })
        {
            // Refused in the handshake (token), or by our own side (TLS: a worker certificate is not a scheduler's), never served.
            try
            {
                await using var connection = await Transports.ConnectAsync(worker.Address, As(role, ClusterOf(kind).ForRole(role)));
                connection.Send(CommTestHelpers.Ping(7));
                (await connection.ReceiveAsync().AsTask().WaitAsync(Patience)).ShouldBeNull($"a {role} session was served");
            }
            catch (HandshakeRefusedException refused)
            {
                refused.Message.ShouldContain($"does not accept {RoleNames.Of(role)} connections");
            }
            catch (System.Security.Authentication.AuthenticationException refused)
            {
                refused.Message.ShouldContain("presented a worker certificate where a scheduler was expected");
            }
            catch (ConnectionClosedException)
            {
                // Accepted in the handshake (a worker token proves the worker role), then closed by the data plane,
                // which serves peers only ("this endpoint does not accept ... connections"): the close may come before
                // our ping is even sent. Closed unserved is the refusal.
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_client_session_sending_register_worker_is_cut_off(string kind)
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = ClusterOf(kind) });
        await using var client = await Transports.ConnectAsync(scheduler.Address, As(Role.Client, ClusterOf(kind).ForRole(Role.Client)));
        client.Send(new Envelope { RegisterWorker = new RegisterWorker { Name = "smuggled", Address = "tcp://127.0.0.1:9", Nthreads = 4 } });
        await client.Closed.WaitAsync(Patience);
        scheduler.WorkerCount.ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_nanny_proves_its_workers_credential_and_may_only_report_deaths(string kind)
    {
        var (scheduler, worker) = await StartAsync(kind);
        await using var _ = scheduler;
        await using var __ = worker;
        await using (var nanny = await Transports.ConnectAsync(scheduler.Address, As(Role.Nanny, ClusterOf(kind).ForRole(Role.Worker))))
        {
            nanny.Send(CommTestHelpers.Ping(8));
            (await nanny.ReceiveOneAsync()).Message.Pong.RequestId.ShouldBe(8UL);
            nanny.Send(new Envelope { UpdateGraph = new UpdateGraph() });
            await nanny.Closed.WaitAsync(Patience);
        }
        // A client's credential is not a worker's: it cannot act as a nanny, and its client session cannot report deaths.
        var refused = await Shoal.Tests.EndToEnd.E2E.CatchAsync(() => Transports.ConnectAsync(scheduler.Address, As(Role.Nanny, ClusterOf(kind).ForRole(Role.Client))));
        if (kind == "tls") refused.ShouldBeOfType<InvalidOperationException>().Message.ShouldContain("no certificate to connect as nanny");
        else refused.ShouldBeOfType<HandshakeRefusedException>().Message.ShouldContain("a client credential may not connect as nanny");
        await using var client = await Transports.ConnectAsync(scheduler.Address, As(Role.Client, ClusterOf(kind).ForRole(Role.Client)));
        client.Send(new Envelope { WorkerDied = new WorkerDied { Name = worker.Name, Cause = "made up" } });
        await client.Closed.WaitAsync(Patience);
        scheduler.WorkerCount.ShouldBe(1);
    }
}

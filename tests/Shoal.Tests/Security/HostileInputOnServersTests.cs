using System.Buffers.Binary;
using System.Net.Sockets;
using Google.Protobuf;
using Shoal.Comm;
using Shoal.Comm.Internal;
using Shoal.Execution;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.Comm;
using static Shoal.Tests.Security.SecurityTestKit;

namespace Shoal.Tests.Security;

/// <summary>
/// The hostile inputs again, against the real servers rather than a bare listener: a token-secured
/// scheduler and a worker's data plane. Each input ends that one connection; afterwards the
/// scheduler still runs a good client's task on its worker, and the worker still serves a peer.
/// </summary>
public class HostileInputOnServersTests
{
    public static TheoryData<string> Inputs => new()
    {
        "garbage before the handshake", "wrong protocol version", "forged token proof",
        "malformed frame", "truncated frame", "frame past the maximum", "segments past the frame",
    };

    private static readonly SecurityOptions Token = SecurityOptions.TemporaryToken();

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task The_scheduler_closes_only_that_connection_and_keeps_serving(string input)
    {
        var (scheduler, worker) = await StartAsync();
        await using var _ = scheduler;
        await using var __ = worker;
        await SendHostileAsync(scheduler.Address, Role.Client, Token.ForRole(Role.Client), input);

        scheduler.WorkerCount.ShouldBe(1);
        await using var client = await Client.ConnectAsync(scheduler.Address, new ClientOptions { Security = Token.ForRole(Role.Client) });
        (await client.Submit(static () => 6 * 7).ResultAsync().WaitAsync(Patience)).ShouldBe(42);
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task A_worker_data_plane_closes_only_that_connection_and_keeps_serving(string input)
    {
        var (scheduler, worker) = await StartAsync();
        await using var _ = scheduler;
        await using var __ = worker;
        await SendHostileAsync(worker.Address, Role.Peer, Token.ForRole(Role.Client), input);

        await using var peer = await Transports.ConnectAsync(worker.Address, new ConnectionOptions { Role = Role.Peer, Name = "good-peer", Security = Token.ForRole(Role.Worker) });
        peer.Send(CommTestHelpers.Ping(11));
        (await peer.ReceiveOneAsync()).Message.Pong.RequestId.ShouldBe(11UL);
        scheduler.WorkerCount.ShouldBe(1);
    }

    private static async Task<(SchedulerServer Scheduler, WorkerServer Worker)> StartAsync()
    {
        var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = Token });
        var worker = await WorkerServer.StartAsync(new WorkerServerOptions
        {
            SchedulerAddress = scheduler.Address, Name = "steady", NThreads = 1, Security = Token.ForRole(Role.Worker),
        });
        return (scheduler, worker);
    }

    /// <summary>Sends one hostile input on a fresh connection and waits until the server has closed it.</summary>
    private static async Task SendHostileAsync(string address, Role role, SecurityOptions credential, string input)
    {
        using var raw = await RawPeer.ConnectAsync(address);
        await using var stream = new NetworkStream(raw.Socket, ownsSocket: false);
        switch (input)
        {
            case "garbage before the handshake":
                await raw.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
                break;
            case "wrong protocol version":
            {
                var options = Options(role, credential);
                options.MinProtocol = options.MaxProtocol = 3;
                var error = await Should.ThrowAsync<HandshakeRefusedException>(() => Handshake(raw, address, options));
                error.Message.ShouldContain("protocol version 3 not supported");
                break;
            }
            case "forged token proof":
            {
                var hello = new Hello
                {
                    MinProtocol = ProtocolVersion.Min, MaxProtocol = ProtocolVersion.Max, Role = role, Name = "forger",
                    AuthMethod = "token", AuthVersion = 2, Nonce = ByteString.CopyFrom(new byte[32]),
                };
                hello.Claims["role"] = "client";
                await RawHandshake.WriteAsync(stream, HandshakeKind.Hello, hello, withPreamble: true);
                (await RawHandshake.ReadAsync(stream, withPreamble: true)).ShouldBeOfType<Welcome>();
                await RawHandshake.WriteAsync(stream, HandshakeKind.AuthProof, new AuthProof { Proof = ByteString.CopyFrom(new byte[32]) }, withPreamble: false);
                (await RawHandshake.ReadAsync(stream, withPreamble: false)).ShouldBeOfType<Refusal>().Reason.ShouldContain("token does not match");
                break;
            }
            case "malformed frame":
                await Handshake(raw, address, Options(role, credential));
                await raw.SendAsync(Frame(Enumerable.Repeat((byte)0xFF, 16).ToArray()));
                break;
            case "truncated frame":
                await Handshake(raw, address, Options(role, credential));
                await raw.SendAsync(RawPeer.Frame(CommTestHelpers.Ping(1))[..^3]);
                raw.Socket.Shutdown(SocketShutdown.Send);
                break;
            case "frame past the maximum":
            {
                await Handshake(raw, address, Options(role, credential));
                var header = new byte[8];
                BinaryPrimitives.WriteUInt32LittleEndian(header, 0xF000_0000);
                await raw.SendAsync(header);
                break;
            }
            case "segments past the frame":
                await Handshake(raw, address, Options(role, credential));
                await raw.SendAsync(Frame(new Batch { Messages = { new Envelope { SegmentBase = 0, SegmentCount = 1, Ping = new Ping() } } }.ToByteArray()));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(input), input, "no such hostile input");
        }

        await raw.WaitForCloseAsync();
    }

    private static ConnectionOptions Options(Role role, SecurityOptions credential) =>
        new() { Role = role, Name = "hostile", Security = credential, HandshakeTimeout = TimeSpan.FromSeconds(5) };

    private static Task<PeerInfo> Handshake(RawPeer raw, string address, ConnectionOptions options)
    {
        options.Validate();
        return TcpHandshake.RunClientAsync(new SocketByteChannel(raw.Socket), address, options, CancellationToken.None);
    }

    /// <summary>A frame around <paramref name="batch"/> bytes (whatever they are), with no segments.</summary>
    private static byte[] Frame(byte[] batch)
    {
        var bytes = new byte[8 + batch.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)(4 + batch.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)batch.Length);
        batch.CopyTo(bytes, 8);
        return bytes;
    }
}

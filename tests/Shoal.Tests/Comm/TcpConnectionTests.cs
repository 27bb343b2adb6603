using Shoal.Comm;
using Shoal.Comm.Internal;
using Shoal.Protocol.Messages;
using static Shoal.Tests.Comm.CommTestHelpers;

namespace Shoal.Tests.Comm;

public class TcpConnectionTests
{
    [Fact]
    public async Task Handshake_exchanges_roles_names_and_session_id()
    {
        var server = Server("the-scheduler");
        server.SessionIdFactory = hello => "session-" + hello.Name;
        var (listener, client, accepted) = await PairAsync(server: server, client: Client("alice"));
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;

        client.Peer.Role.ShouldBe(Role.Scheduler);
        client.Peer.Name.ShouldBe("the-scheduler");
        client.Peer.SessionId.ShouldBe("session-alice");
        client.Peer.Protocol.ShouldBe(Shoal.Protocol.ProtocolVersion.Current);
        accepted.Peer.Role.ShouldBe(Role.Client);
        accepted.Peer.Name.ShouldBe("alice");
        accepted.Peer.SessionId.ShouldBe("session-alice");
        client.RemoteAddress.ShouldBe(listener.Address);
        accepted.RemoteAddress.ShouldBe(client.LocalAddress);
    }

    [Fact]
    public async Task Messages_with_segments_round_trip_both_ways()
    {
        var (listener, client, accepted) = await PairAsync();
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;

        client.Send(Ping(1));
        client.Send(Ping(2), [new byte[] { 1, 2, 3 }]);
        client.Send(Ping(3), [new byte[] { 4 }, Array.Empty<byte>(), new byte[100_000]]);

        var m1 = await accepted.ReceiveOneAsync();
        m1.Message.Ping.RequestId.ShouldBe(1UL);
        m1.Segments.Length.ShouldBe(0);
        var m2 = await accepted.ReceiveOneAsync();
        m2.Message.Ping.RequestId.ShouldBe(2UL);
        m2.Segments.Length.ShouldBe(1);
        m2.Segments.Span[0].Bytes.ToArray().ShouldBe(new byte[] { 1, 2, 3 });
        var m3 = await accepted.ReceiveOneAsync();
        m3.Segments.Length.ShouldBe(3);
        m3.Segments.Span[0].Bytes.ToArray().ShouldBe(new byte[] { 4 });
        m3.Segments.Span[1].Length.ShouldBe(0);
        m3.Segments.Span[2].Length.ShouldBe(100_000);

        accepted.Send(new Envelope { Pong = new Pong { RequestId = 9 } });
        (await client.ReceiveOneAsync()).Message.Pong.RequestId.ShouldBe(9UL);
    }
}

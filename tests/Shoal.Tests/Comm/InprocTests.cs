using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using static Shoal.Tests.Comm.CommTestHelpers;

namespace Shoal.Tests.Comm;

public class InprocTests
{
    private static string UniqueName() => "inproc://test-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Envelopes_and_object_segments_arrive_as_the_same_instances()
    {
        var (listener, client, accepted) = await PairAsync(UniqueName());
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;
        var envelope = Ping(5);
        var value = new List<int> { 1, 2, 3 };
        var bytes = new byte[] { 7 };

        client.Send(envelope, [Segment.FromObject(value), bytes]);
        var received = await accepted.ReceiveOneAsync();

        received.Message.ShouldBeSameAs(envelope);
        received.Segments.Span[0].IsObject.ShouldBeTrue();
        received.Segments.Span[0].Object.ShouldBeSameAs(value);
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(received.Segments.Span[1].Bytes, out var array).ShouldBeTrue();
        array.Array.ShouldBeSameAs(bytes);
    }

    [Fact]
    public async Task Handshake_information_and_order_match_tcp()
    {
        var server = Server("sched");
        server.SessionIdFactory = h => "s-" + h.Name;
        var (listener, client, accepted) = await PairAsync(UniqueName(), server, Client("w1"));
        await using var _ = listener;
        await using var ___ = accepted;

        client.Peer.ShouldBe(new PeerInfo(Role.Scheduler, "sched", ProtocolVersion.ShoalVersion, ProtocolVersion.Current, "s-w1"));
        accepted.Peer.Role.ShouldBe(Role.Client);
        accepted.Peer.SessionId.ShouldBe("s-w1");
        client.RemoteAddress.ShouldBe(listener.Address);

        for (var i = 0; i < 1000; i++) client.Send(Ping((ulong)i));
        await client.CloseAsync("bye");
        for (var i = 0; i < 1000; i++) (await accepted.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe((ulong)i);
        (await accepted.ReceiveAsync()).ShouldBeNull();
        await accepted.Closed.WaitAsync(Patience);
        Should.Throw<ConnectionClosedException>(() => accepted.Send(Ping(1))).Message.ShouldContain("bye");
    }

    [Fact]
    public async Task Version_mismatch_is_refused_with_both_messages()
    {
        var failures = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = Server();
        server.HandshakeFailed = (_, e) => failures.TrySetResult(e);
        await using var listener = await Transports.ListenAsync(UniqueName(), server);
        var client = Client("old");
        client.MinProtocol = 2;
        client.MaxProtocol = 3;

        var error = await Should.ThrowAsync<HandshakeRefusedException>(() => Transports.ConnectAsync(listener.Address, client));
        error.Message.ShouldContain("protocol version 2-3 not supported, the scheduler speaks 1");
        (await failures.Task.WaitAsync(Patience)).Message.ShouldContain("refused client 'old'");
    }

    [Fact]
    public async Task Names_are_unique_and_freed_by_dispose()
    {
        var name = UniqueName();
        var listener = await Transports.ListenAsync(name, Server());
        (await Should.ThrowAsync<IOException>(() => Transports.ListenAsync(name, Server()))).Message.ShouldContain("already in use");
        await listener.DisposeAsync();

        (await Should.ThrowAsync<IOException>(() => Transports.ConnectAsync(name, Client()))).Message.ShouldContain("no listener by that name");
        await using var again = await Transports.ListenAsync(name, Server());
        again.Address.ShouldBe(name);
    }

    [Fact]
    public async Task Empty_name_gets_a_unique_one()
    {
        await using var a = await Transports.ListenAsync("inproc://", Server());
        await using var b = await Transports.ListenAsync("inproc://", Server());
        a.Address.ShouldNotBe(b.Address);
        a.Address.ShouldStartWith("inproc://");
    }
}

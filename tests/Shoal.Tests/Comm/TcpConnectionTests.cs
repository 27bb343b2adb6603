using Shoal.Comm;
using Shoal.Comm.Internal;
using Shoal.Protocol.Messages;
using static Shoal.Tests.Comm.CommTestHelpers;
using Shoal.Protocol;

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

public class TcpConnectionBehaviourTests
{
    [Fact]
    public async Task A_100_MB_segment_arrives_intact()
    {
        var (listener, client, accepted) = await PairAsync();
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;
        var big = new byte[100 * 1024 * 1024];
        new Random(3).NextBytes(big);

        client.Send(Ping(1), [new byte[] { 9 }, big]);
        client.Send(Ping(2));
        var received = await accepted.ReceiveOneAsync();

        received.Segments.Length.ShouldBe(2);
        received.Segments.Span[0].Bytes.ToArray().ShouldBe(new byte[] { 9 });
        received.Segments.Span[1].Bytes.Span.SequenceEqual(big).ShouldBeTrue();
        (await accepted.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(2UL);
    }

    [Fact]
    public async Task A_message_with_a_multi_megabyte_body_round_trips()
    {
        var (listener, client, accepted) = await PairAsync();
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;
        var graph = new UpdateGraph();
        for (var i = 0; i < 50_000; i++)
            graph.Tasks.Add(new TaskSpec { Key = $"inc-{i:D8}-with-a-longer-key", Dependencies = { $"dep-{i}" }, RunFirstSegment = (uint)i, RunSegmentCount = 1 });
        var envelope = new Envelope { UpdateGraph = graph };
        envelope.CalculateSize().ShouldBeGreaterThan(2_000_000);

        client.Send(Ping(1));
        client.Send(envelope);
        client.Send(Ping(2));

        (await accepted.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(1UL);
        (await accepted.ReceiveOneAsync()).Message.ShouldBe(envelope);
        (await accepted.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(2UL);
    }

    [Fact]
    public async Task Many_sends_coalesce_into_few_frames_and_keep_their_order()
    {
        var (listener, client, accepted) = await PairAsync();
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;
        const int count = 20_000;

        for (var i = 0; i < count; i++)
        {
            if (i % 3 == 0) client.Send(Ping((ulong)i), [BitConverter.GetBytes(i)]);
            else client.Send(Ping((ulong)i));
        }
        await client.FlushAsync().AsTask().WaitAsync(Patience);

        for (var i = 0; i < count; i++)
        {
            var m = await accepted.ReceiveOneAsync();
            m.Message.Ping.RequestId.ShouldBe((ulong)i);
            if (i % 3 == 0) BitConverter.ToInt32(m.Segments.Span[0].Bytes.Span).ShouldBe(i);
            else m.Segments.Length.ShouldBe(0);
        }
        var frames = ((TcpConnection)client).FramesSent;
        frames.ShouldBeLessThan(count / 20, $"{count} sends went out in {frames} frames");
        ((TcpConnection)accepted).FramesReceived.ShouldBe(frames);
    }

    [Fact]
    public async Task A_large_burst_is_cut_into_frames_of_about_the_target_size()
    {
        var options = Client();
        options.TargetFrameSize = 64 * 1024;
        var (listener, client, accepted) = await PairAsync(client: options);
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;
        var payload = new byte[10_000];

        for (var i = 0; i < 100; i++) client.Send(Ping((ulong)i), [payload]);
        await client.FlushAsync().AsTask().WaitAsync(Patience);

        for (var i = 0; i < 100; i++) (await accepted.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe((ulong)i);
        var frames = ((TcpConnection)client).FramesSent;
        frames.ShouldBeGreaterThanOrEqualTo(100 * 10_000 / (64 * 1024));
        (((TcpConnection)client).BytesSent / frames).ShouldBeLessThanOrEqualTo(64 * 1024 + 100);
    }

    [Fact]
    public async Task Sends_from_many_threads_all_arrive_in_per_thread_order()
    {
        var (listener, client, accepted) = await PairAsync();
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;
        const int threads = 4, each = 5_000;

        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < each; i++) client.Send(Ping((ulong)(t * 1_000_000 + i)));
        })));

        var next = new int[threads];
        for (var n = 0; n < threads * each; n++)
        {
            var id = (int)(await accepted.ReceiveOneAsync()).Message.Ping.RequestId;
            var t = id / 1_000_000;
            (id % 1_000_000).ShouldBe(next[t]++);
        }
        next.ShouldAllBe(x => x == each);
    }

    [Fact]
    public async Task Clean_close_delivers_what_was_sent_then_null_on_the_other_side()
    {
        var (listener, client, accepted) = await PairAsync();
        await using var _ = listener;
        await using var ___ = accepted;

        client.Send(Ping(1));
        client.Send(Ping(2), [new byte[10_000]]);
        await client.CloseAsync("done");

        (await accepted.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(1UL);
        (await accepted.ReceiveOneAsync()).Segments.Span[0].Length.ShouldBe(10_000);
        (await accepted.ReceiveAsync().AsTask().WaitAsync(Patience)).ShouldBeNull();
        await accepted.Closed.WaitAsync(Patience);
        client.Closed.IsCompleted.ShouldBeTrue();
        (await client.ReceiveAsync().AsTask().WaitAsync(Patience)).ShouldBeNull();

        Should.Throw<ConnectionClosedException>(() => client.Send(Ping(3))).Message.ShouldContain("closed locally (done)");
        Should.Throw<ConnectionClosedException>(() => accepted.Send(Ping(3))).Message.ShouldContain("closed by the peer");
    }

    [Fact]
    public async Task Object_segments_are_refused_over_tcp()
    {
        var (listener, client, accepted) = await PairAsync();
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;

        var error = Should.Throw<InvalidOperationException>(() => client.Send(Ping(1), [Segment.FromObject(new object())]));
        error.Message.ShouldContain("only travel over inproc://");
        client.Send(Ping(2));
        (await accepted.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(2UL);
    }

    [Fact]
    public async Task Message_bigger_than_the_maximum_frame_is_refused_at_send()
    {
        var options = Client();
        options.MaxFrameSize = 4096;
        var (listener, client, accepted) = await PairAsync(client: options);
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;

        Should.Throw<InvalidOperationException>(() => client.Send(Ping(1), [new byte[5000]])).Message.ShouldContain("maximum frame size of 4096");
    }
}

public class TcpBackPressureTests
{
    [Fact]
    public async Task A_receiver_that_does_not_read_holds_up_flush_but_never_send()
    {
        var (listener, client, accepted) = await PairAsync();
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = accepted;
        var chunk = new byte[1024 * 1024];
        const int count = 100;

        // Send only queues: the 100 sends return although nobody reads (a blocking Send would never
        // get past this loop, since the receiver below never drains); no clock needed to show it.
        for (var i = 0; i < count; i++) client.Send(Ping((ulong)i), [chunk]);
        var flush = client.FlushAsync().AsTask();

        // 100 MiB cannot fit in the receiver's bounded buffers while nobody reads: once its queue is
        // full and bytes wait in its socket, it has stopped reading, and the flush cannot be done.
        var receiver = (TcpConnection)accepted;
        await Shoal.Tests.Resilience.Eventually.HoldsAsync(() => receiver.ReceiveQueueFull, Patience, "the receiver's queue to fill");
        flush.IsCompleted.ShouldBeFalse();
        receiver.FramesReceived.ShouldBeLessThan(count);

        for (var i = 0; i < count; i++)
        {
            var m = await accepted.ReceiveOneAsync();
            m.Message.Ping.RequestId.ShouldBe((ulong)i);
            m.Segments.Span[0].Length.ShouldBe(chunk.Length);
        }
        await flush.WaitAsync(Patience);
    }
}

using System.Buffers.Binary;
using System.Net.Sockets;
using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using static Shoal.Tests.Comm.CommTestHelpers;

namespace Shoal.Tests.Comm;

/// <summary>Bad peers close their own connection with a clear reason; the listener keeps serving others.</summary>
public class TcpErrorTests
{
    private static async Task<string> ServerErrorAfterAsync(Func<RawPeer, Task> misbehave, ListenerOptions? options = null)
    {
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", options ?? Server());
        using var raw = await RawPeer.HandshakenAsync(listener.Address);
        await using var victim = (await listener.AcceptAsync().AsTask().WaitAsync(Patience))!;
        await misbehave(raw);

        var error = await Should.ThrowAsync<ConnectionClosedException>(async () =>
        {
            while (await victim.ReceiveAsync().AsTask().WaitAsync(Patience) is not null) { }
        });
        await victim.Closed.WaitAsync(Patience);
        error.Message.ShouldContain(raw.Socket.LocalEndPoint!.ToString()!);
        await raw.WaitForCloseAsync();

        // The listener still serves a well-behaved client.
        await using var good = await Transports.ConnectAsync(listener.Address, Client("good"));
        await using var accepted = (await listener.AcceptAsync().AsTask().WaitAsync(Patience))!;
        good.Send(Ping(42));
        (await accepted.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(42UL);
        return error.Message;
    }

    [Fact]
    public async Task Garbage_bytes_close_the_connection_with_a_protocol_error()
    {
        var message = await ServerErrorAfterAsync(raw => raw.SendAsync([8, 0, 0, 0, 4, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]));
        message.ShouldContain("malformed batch");
    }

    [Fact]
    public async Task The_reason_a_connection_failed_is_logged_as_a_warning()
    {
        var logs = new CapturingLoggerFactory();
        var warned = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        logs.Logged += (level, message) => { if (level == Microsoft.Extensions.Logging.LogLevel.Warning) warned.TrySetResult(message); };
        var options = Server();
        options.LoggerFactory = logs;
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", options);
        using var raw = await RawPeer.HandshakenAsync(listener.Address);
        await using var victim = (await listener.AcceptAsync().AsTask().WaitAsync(Patience))!;
        await raw.SendAsync([8, 0, 0, 0, 4, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);

        var logged = await warned.Task.WaitAsync(Patience);
        logged.ShouldContain("malformed batch");
        logged.ShouldContain(raw.Socket.LocalEndPoint!.ToString()!);
    }

    [Fact]
    public async Task Frame_past_the_maximum_closes_the_connection_naming_both_sizes()
    {
        var options = Server();
        options.MaxFrameSize = 1000;
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 1_000_000);
        var message = await ServerErrorAfterAsync(raw => raw.SendAsync(header), options);
        message.ShouldContain("frame of 1000000 bytes exceeds the maximum frame size of 1000 bytes");
    }

    [Fact]
    public async Task Close_in_the_middle_of_a_big_segment_received_directly_is_an_error_with_the_progress()
    {
        var segment = new byte[1024 * 1024];
        new Random(5).NextBytes(segment);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        FrameEncoder.WriteFrame(output, [new OutgoingMessage(Ping(1), 0, 1)], [new Segment(segment)]);
        var frame = output.WrittenSpan.ToArray();
        var sent = frame.Length - segment.Length + 300_000;
        var message = await ServerErrorAfterAsync(async raw =>
        {
            // Header and batch first, so that the rest of the segment is received straight into its array.
            await raw.SendAsync(frame[..(frame.Length - segment.Length + 10)]);
            await raw.SendAsync(frame[(frame.Length - segment.Length + 10)..sent]);
            raw.Socket.Shutdown(SocketShutdown.Send);
        });
        message.ShouldContain($"in the middle of a frame (after {sent} of {frame.Length} bytes");
    }

    [Fact]
    public async Task Close_in_the_middle_of_an_array_received_into_its_typed_array_is_an_error_with_the_progress()
    {
        // A serialized double[]: inline header, descriptor, body; the body goes into a double[] on receipt.
        var segments = Shoal.Serialization.ValueSerializer.Default.Serialize(new double[200_000]).Segments;
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        FrameEncoder.WriteFrame(output, [new OutgoingMessage(Ping(1), 0, segments.Length)], segments);
        var frame = output.WrittenSpan.ToArray();
        var sent = frame.Length - 1_000_000;
        var message = await ServerErrorAfterAsync(async raw =>
        {
            await raw.SendAsync(frame[..sent]);
            raw.Socket.Shutdown(SocketShutdown.Send);
        });
        message.ShouldContain($"in the middle of a frame (after {sent} of {frame.Length} bytes");
    }

    [Fact]
    public async Task Truncated_frame_then_close_is_an_error_not_a_clean_close()
    {
        var frame = RawPeer.Frame(Ping(1), Ping(2));
        var message = await ServerErrorAfterAsync(async raw =>
        {
            await raw.SendAsync(frame[..^3]);
            raw.Socket.Shutdown(SocketShutdown.Send);
        });
        message.ShouldContain($"in the middle of a frame (after {frame.Length - 3} of {frame.Length} bytes");

        var header = await ServerErrorAfterAsync(async raw =>
        {
            await raw.SendAsync([1, 2, 3]);
            raw.Socket.Shutdown(SocketShutdown.Send);
        });
        header.ShouldContain("in the middle of a frame (after 3 bytes of a frame header)");
    }

    [Fact]
    public async Task Bad_segment_range_closes_the_connection()
    {
        var batch = Google.Protobuf.MessageExtensions.ToByteArray(new Batch { Messages = { new Envelope { SegmentBase = 0, SegmentCount = 1, Ping = new Ping() } } });
        var bytes = new byte[8 + batch.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)(4 + batch.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)batch.Length);
        batch.CopyTo(bytes, 8);
        var message = await ServerErrorAfterAsync(raw => raw.SendAsync(bytes));
        message.ShouldContain("points at segments [0, 1) but the frame has 0");
    }

    [Fact]
    public async Task Messages_before_an_error_are_still_delivered()
    {
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", Server());
        using var raw = await RawPeer.HandshakenAsync(listener.Address);
        await using var victim = (await listener.AcceptAsync().AsTask().WaitAsync(Patience))!;
        await raw.SendAsync([.. RawPeer.Frame(Ping(1)), 2, 0, 0, 0, 0, 0, 0, 0]);

        (await victim.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(1UL);
        (await Should.ThrowAsync<ConnectionClosedException>(() => victim.ReceiveAsync().AsTask().WaitAsync(Patience)))
            .Message.ShouldContain("too short");
    }

    [Fact]
    public async Task Peer_reset_is_an_error_naming_the_peer_but_a_plain_close_is_not()
    {
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", Server());
        using (var raw = await RawPeer.HandshakenAsync(listener.Address))
        {
            await using var victim = (await listener.AcceptAsync().AsTask().WaitAsync(Patience))!;
            await raw.SendAsync(RawPeer.Frame(Ping(1)));
            (await victim.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(1UL);
            raw.Socket.LingerState = new LingerOption(true, 0);
            raw.Socket.Close(); // sends RST
            var error = await Should.ThrowAsync<ConnectionClosedException>(() => victim.ReceiveAsync().AsTask().WaitAsync(Patience));
            error.Message.ShouldContain("receiving failed");
            error.Message.ShouldContain("client 'raw'");
        }
        using (var raw = await RawPeer.HandshakenAsync(listener.Address))
        {
            await using var victim = (await listener.AcceptAsync().AsTask().WaitAsync(Patience))!;
            raw.Socket.Shutdown(SocketShutdown.Both);
            (await victim.ReceiveAsync().AsTask().WaitAsync(Patience)).ShouldBeNull();
            await victim.Closed.WaitAsync(Patience);
        }
    }

    [Fact]
    public async Task Bad_preamble_is_reported_and_closed()
    {
        var failures = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Server();
        options.HandshakeFailed = (_, error) => failures.TrySetResult(error);
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", options);
        using var raw = await RawPeer.ConnectAsync(listener.Address);
        await raw.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());

        var error = await failures.Task.WaitAsync(Patience);
        error.ShouldBeOfType<ProtocolException>().Message.ShouldBe("not a Shoal peer (bad preamble)");
        await raw.WaitForCloseAsync();
    }

    [Fact]
    public async Task Connecting_to_something_that_is_not_shoal_fails_clearly()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        server.Listen();
        var answer = Task.Run(async () =>
        {
            using var s = await server.AcceptAsync();
            await s.SendAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), SocketFlags.None);
            await s.ReceiveAsync(new byte[1024], SocketFlags.None);
        });
        var error = await Should.ThrowAsync<ProtocolException>(() =>
            Transports.ConnectAsync("tcp://" + server.LocalEndPoint, Client()).WaitAsync(Patience));
        error.Message.ShouldBe("not a Shoal peer (bad preamble)");
    }

    [Fact]
    public async Task Handshake_that_never_finishes_times_out_on_the_listener()
    {
        var failures = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Server();
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(200);
        options.HandshakeFailed = (_, error) => failures.TrySetResult(error);
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", options);
        using var raw = await RawPeer.ConnectAsync(listener.Address);
        await raw.SendAsync("SHO"u8.ToArray());

        await raw.WaitForCloseAsync();
        var error = await failures.Task.WaitAsync(Patience);
        error.ShouldBeOfType<TimeoutException>().Message.ShouldContain("did not finish within 0.2 s");
    }

    [Fact]
    public async Task Handshake_that_never_finishes_times_out_on_the_connecting_side()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        server.Listen();
        var options = Client();
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(200);
        var error = await Should.ThrowAsync<TimeoutException>(() =>
            Transports.ConnectAsync("tcp://" + server.LocalEndPoint, options).WaitAsync(Patience));
        error.Message.ShouldContain("handshake timeout of 0.2 s");
    }

    [Fact]
    public async Task Protocol_version_mismatch_is_refused_with_both_ranges_on_both_sides()
    {
        var failures = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Server();
        options.MaxProtocol = 2;
        options.HandshakeFailed = (_, error) => failures.TrySetResult(error);
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", options);
        var client = Client("future-client");
        client.MinProtocol = 3;
        client.MaxProtocol = 3;

        var error = await Should.ThrowAsync<HandshakeRefusedException>(() => Transports.ConnectAsync(listener.Address, client).WaitAsync(Patience));
        error.Message.ShouldContain($"{listener.Address} refused the connection: protocol version 3 not supported, the scheduler speaks 1-2");
        var serverError = await failures.Task.WaitAsync(Patience);
        serverError.Message.ShouldContain("refused client 'future-client'");
        serverError.Message.ShouldContain("protocol version 3 not supported, the scheduler speaks 1-2");
    }

    [Fact]
    public async Task Listener_on_every_interface_gives_a_reachable_address()
    {
        await using var listener = await Transports.ListenAsync("tcp://:0", Server());
        listener.Address.ShouldNotContain("0.0.0.0");
        ShoalAddress.Parse(listener.Address).Port.ShouldBeGreaterThan(0);
        await using var client = await Transports.ConnectAsync(listener.Address, Client()).WaitAsync(Patience);
        await using var accepted = (await listener.AcceptAsync().AsTask().WaitAsync(Patience))!;
        client.Send(Ping(3));
        (await accepted.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(3UL);
    }

    [Fact]
    public async Task Disposed_listener_leaves_no_listening_port()
    {
        var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", Server());
        var address = listener.Address;
        await using (var client = await Transports.ConnectAsync(address, Client())) { }
        await listener.DisposeAsync();

        (await listener.AcceptAsync()).ShouldBeNull();
        var error = await Should.ThrowAsync<IOException>(() => Transports.ConnectAsync(address, Client()).WaitAsync(Patience));
        error.InnerException.ShouldBeOfType<SocketException>().SocketErrorCode.ShouldBe(SocketError.ConnectionRefused);
        error.Message.ShouldContain(address);
    }
}

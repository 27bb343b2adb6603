using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Shoal.Comm;
using Shoal.Comm.Internal;
using Shoal.Protocol.Messages;
using Shoal.Protocol;
using Shoal.Tests.Comm;
using static Shoal.Tests.Security.SecurityTestKit;

namespace Shoal.Tests.Security;

/// <summary>
/// The fast TLS path (records gathered into big socket writes, reads staged while the peer
/// streams): big multi-segment values, small messages in between, sockets that move a few bytes
/// per call, and a peer that stops in the middle of a record.
/// </summary>
public class TlsStreamingTests
{
    [Fact]
    public async Task Big_multi_segment_values_cross_tls_both_ways_with_small_messages_in_between()
    {
        var (listener, client, server) = await CommTestHelpers.PairAsync("tls://127.0.0.1:0", Server(Cluster), Client(Cluster));
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = server;
        var values = Enumerable.Range(0, 3).Select(i => new[] { Bytes(6 * 1024 * 1024 + i, i), Bytes(10, 100 + i), Array.Empty<byte>(), Bytes(1024 * 1024 + 3, 200 + i) }).ToArray();

        // Both ends send at once: 3 big values, each after 200 small messages.
        var sending = Task.WhenAll(SendAsync(client, values), SendAsync(server, values));
        var receiving = Task.WhenAll(ReceiveAndCheckAsync(server, values), ReceiveAndCheckAsync(client, values));
        await Task.WhenAll(sending, receiving).WaitAsync(Patience);
    }

    [Fact]
    public async Task Tls_over_sockets_that_move_a_few_bytes_per_call_delivers_everything_in_order()
    {
        var (client, server) = await TlsPairAsync(inner => new TrickleChannel(inner, seed: 1), inner => new TrickleChannel(inner, seed: 2));
        await using var _ = client;
        await using var __ = server;
        var values = new[] { new[] { Bytes(300_000, 1), Bytes(5, 2) }, new[] { Bytes(70_000, 3) } };
        var sending = Task.WhenAll(SendAsync(client, values, smallBefore: 20), SendAsync(server, values, smallBefore: 20));
        var receiving = Task.WhenAll(ReceiveAndCheckAsync(server, values, smallBefore: 20), ReceiveAndCheckAsync(client, values, smallBefore: 20));
        await Task.WhenAll(sending, receiving).WaitAsync(Patience);
    }

    [Fact]
    public async Task A_peer_that_stops_in_the_middle_of_a_record_closes_the_connection_with_a_reason()
    {
        CuttingChannel? cutter = null;
        var (client, server) = await TlsPairAsync(inner => cutter = new CuttingChannel(inner), inner => inner);
        await using var _ = client;
        await using var __ = server;
        client.Send(CommTestHelpers.Ping(1));
        (await server.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(1UL);

        // The next socket write leaves half of its bytes (mid-record), then FIN.
        cutter!.Armed = true;
        client.Send(CommTestHelpers.Ping(2), [new Segment(Bytes(1024 * 1024, 9))]);
        var error = await Should.ThrowAsync<ConnectionClosedException>(() => server.ReceiveAsync().AsTask().WaitAsync(Patience));
        error.Message.ShouldContain("closed");
        await server.Closed.WaitAsync(Patience);
        cutter.Cut.ShouldBeTrue();
    }

    private static async Task SendAsync(IConnection connection, byte[][][] values, int smallBefore = 200)
    {
        ulong id = 0;
        foreach (var value in values)
        {
            for (var i = 0; i < smallBefore; i++) connection.Send(CommTestHelpers.Ping(id++));
            connection.Send(new Envelope { Ping = new Ping { RequestId = id++ } }, value.Select(v => new Segment(v)).ToArray());
        }
        await connection.FlushAsync();
    }

    private static async Task ReceiveAndCheckAsync(IConnection connection, byte[][][] values, int smallBefore = 200)
    {
        ulong id = 0;
        foreach (var value in values)
        {
            for (var i = 0; i < smallBefore; i++)
            {
                var small = await connection.ReceiveOneAsync();
                small.Message.Ping.RequestId.ShouldBe(id++);
                small.Segments.Length.ShouldBe(0);
            }
            var big = await connection.ReceiveOneAsync();
            big.Message.Ping.RequestId.ShouldBe(id++);
            big.Segments.Length.ShouldBe(value.Length);
            for (var s = 0; s < value.Length; s++)
                big.Segments.Span[s].Bytes.Span.SequenceEqual(value[s]).ShouldBeTrue($"segment {s} of message {id - 1}");
        }
    }

    /// <summary>A tls pair at the channel level (no Shoal handshake), each socket wrapped as the test says.</summary>
    private static async Task<(IConnection Client, IConnection Server)> TlsPairAsync(Func<ByteChannel, ByteChannel> wrapClient, Func<ByteChannel, ByteChannel> wrapServer)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = listener.AcceptAsync();
        await socket.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await accepting.WaitAsync(Patience);
        using var timeout = new CancellationTokenSource(Patience);
        var serving = TlsByteChannel.AcceptAsync(wrapServer(new SocketByteChannel(accepted)), Cluster, Role.Scheduler, Server(Cluster), timeout.Token);
        var clientChannel = await TlsByteChannel.ConnectAsync(wrapClient(new SocketByteChannel(socket)), Cluster, Role.Client, "127.0.0.1", "tls://test", timeout.Token);
        var serverChannel = await serving;
        var client = new TcpConnection(clientChannel, new PeerInfo(Role.Scheduler, "sched", "test", 1), Client(Cluster));
        var server = new TcpConnection(serverChannel, new PeerInfo(Role.Client, "c", "test", 1), Server(Cluster));
        client.Start();
        server.Start();
        return (client, server);
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Receives at most a few hundred bytes per call and sends in pieces of up to a few KB.</summary>
    private sealed class TrickleChannel(ByteChannel inner, int seed) : ByteChannel
    {
        private readonly Random _random = new(seed);
        private readonly Lock _gate = new();

        public override string LocalAddress => inner.LocalAddress;

        public override string RemoteAddress => inner.RemoteAddress;

        public override int Available => inner.Available;

        public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            int limit;
            lock (_gate) limit = _random.Next(1, 300);
            return inner.ReceiveAsync(buffer[..Math.Min(buffer.Length, limit)], cancellationToken);
        }

        public override async ValueTask SendAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
        {
            while (!data.IsEmpty)
            {
                int piece;
                lock (_gate) piece = _random.Next(1, 5000);
                var part = data.Slice(0, Math.Min(piece, data.Length));
                await inner.SendAsync(part, cancellationToken);
                data = data.Slice(part.Length);
            }
        }

        public override void ShutdownSend() => inner.ShutdownSend();

        public override void Dispose() => inner.Dispose();
    }

    /// <summary>Once armed, sends the first half of the next write and then FIN: a peer gone in the middle of a record.</summary>
    private sealed class CuttingChannel(ByteChannel inner) : ByteChannel
    {
        public volatile bool Armed;
        public volatile bool Cut;

        public override string LocalAddress => inner.LocalAddress;

        public override string RemoteAddress => inner.RemoteAddress;

        public override int Available => inner.Available;

        public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) => inner.ReceiveAsync(buffer, cancellationToken);

        public override async ValueTask SendAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
        {
            if (Cut) throw new IOException("cut by the test");
            if (!Armed)
            {
                await inner.SendAsync(data, cancellationToken);
                return;
            }
            await inner.SendAsync(data.Slice(0, data.Length / 2), cancellationToken);
            Cut = true;
            inner.ShutdownSend();
            throw new IOException("cut by the test");
        }

        public override void ShutdownSend()
        {
            if (!Cut) inner.ShutdownSend();
        }

        public override void Dispose() => inner.Dispose();
    }
}

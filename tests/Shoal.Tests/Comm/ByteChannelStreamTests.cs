using System.Buffers;
using System.Threading.Channels;
using Shoal.Comm.Internal;

namespace Shoal.Tests.Comm;

/// <summary>
/// The stream under SslStream: encrypted records gathered into few socket writes inside a batch,
/// reads staged while the peer streams, every byte delivered once and in order.
/// </summary>
public class ByteChannelStreamTests
{
    private const int Record = 16 * 1024 + 32; // what SslStream asks for per read

    [Fact]
    public async Task Writes_inside_a_batch_leave_in_one_socket_write()
    {
        var channel = new ScriptedChannel();
        using var stream = new ByteChannelStream(channel);
        var expected = new List<byte>();
        stream.BeginBatch();
        for (var i = 0; i < 20; i++)
        {
            var record = Bytes(1000, seed: i);
            expected.AddRange(record);
            await stream.WriteAsync(record);
        }
        channel.Sent.Count.ShouldBe(0);
        await stream.EndBatchAsync(CancellationToken.None);
        channel.Sent.Count.ShouldBe(1);
        channel.SentBytes().ShouldBe(expected.ToArray());
        stream.HoldsBuffers.ShouldBeFalse();

        // Outside a batch (the handshake, close_notify) every write goes out at once.
        await stream.WriteAsync(Bytes(10, seed: 99));
        channel.Sent.Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_batch_past_the_buffer_and_big_writes_keep_their_order()
    {
        var channel = new ScriptedChannel();
        using var stream = new ByteChannelStream(channel);
        var part = ByteChannelStream.BatchSize * 2 / 5; // two fit in the buffer, three do not
        var writes = new[] { part, part, part, ByteChannelStream.BatchSize + 5, 7, Record, 0, 3 };
        var expected = new List<byte>();
        stream.BeginBatch();
        for (var i = 0; i < writes.Length; i++)
        {
            var bytes = Bytes(writes[i], seed: i);
            expected.AddRange(bytes);
            await stream.WriteAsync(bytes);
        }
        await stream.EndBatchAsync(CancellationToken.None);
        channel.SentBytes().ShouldBe(expected.ToArray());
        // Two parts gathered, the third does not fit: one write; the big one passes through
        // after the part before it; the rest leaves at the end of the batch.
        channel.Sent.Select(s => s.Length).ShouldBe([2 * part, part, ByteChannelStream.BatchSize + 5, 7 + Record + 3]);
        stream.ChannelWrites.ShouldBe(4);
    }

    [Fact]
    public async Task Streaming_reads_are_staged_and_every_byte_arrives_in_order()
    {
        var channel = new ScriptedChannel();
        using var stream = new ByteChannelStream(channel);
        var random = new Random(3);
        var sent = Bytes(3 * 1024 * 1024 + 11, seed: 5);
        // The socket has plenty queued: each receive returns as much as asked, up to 1 MiB.
        channel.Feed(sent, chunk: 1024 * 1024);
        channel.Complete();

        var received = new List<byte>();
        var reads = 0;
        var buffer = new byte[Record];
        while (true)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(0, random.Next(1, Record + 1)));
            if (n == 0) break;
            reads++;
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        received.ToArray().ShouldBe(sent);
        // One socket read serves many SslStream-sized reads.
        stream.ChannelReads.ShouldBeLessThan(reads / 4);
        stream.HoldsBuffers.ShouldBeFalse();
    }

    [Fact]
    public async Task Partial_socket_reads_go_straight_to_the_caller_and_an_idle_stream_holds_no_buffer()
    {
        var channel = new ScriptedChannel();
        using var stream = new ByteChannelStream(channel);
        var sent = Bytes(200_000, seed: 8);
        // A trickle: the socket never has a whole record queued.
        channel.Feed(sent, chunk: 1000);
        var received = new List<byte>();
        var buffer = new byte[Record];
        while (received.Count < sent.Length)
        {
            var n = await stream.ReadAsync(buffer);
            n.ShouldBeInRange(1, 1000);
            received.AddRange(buffer.AsSpan(0, n).ToArray());
            stream.HoldsBuffers.ShouldBeFalse();
        }
        received.ToArray().ShouldBe(sent);
        stream.ChannelReads.ShouldBe(200);
    }

    [Fact]
    public async Task A_read_that_waits_holds_no_staging_buffer_and_end_of_stream_reads_zero()
    {
        var channel = new ScriptedChannel();
        using var stream = new ByteChannelStream(channel);
        // A full direct read, then a full staged read: the stream ends the burst still "streaming".
        var burst = Bytes(Record + ByteChannelStream.BatchSize, seed: 1);
        channel.Feed(burst, chunk: burst.Length);
        var received = new List<byte>();
        var buffer = new byte[Record];
        while (received.Count < burst.Length)
        {
            var n = await stream.ReadAsync(buffer);
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        received.ToArray().ShouldBe(burst);
        stream.ChannelReads.ShouldBe(2);

        // Still "streaming" (the last read filled its buffer), but nothing is queued: the next
        // read waits on the socket without a staging buffer.
        var reading = stream.ReadAsync(buffer).AsTask();
        reading.IsCompleted.ShouldBeFalse();
        stream.HoldsBuffers.ShouldBeFalse();
        channel.Complete();
        (await reading.WaitAsync(CommTestHelpers.Patience)).ShouldBe(0);
        stream.HoldsBuffers.ShouldBeFalse();
    }

    [Fact]
    public async Task Zero_byte_reads_between_small_records_do_not_ask_the_socket_what_it_holds()
    {
        var channel = new ScriptedChannel();
        using var stream = new ByteChannelStream(channel);
        var sent = Bytes(100 * 300, seed: 4);
        channel.Feed(sent, chunk: 300);
        var received = new List<byte>();
        var buffer = new byte[Record];
        while (received.Count < sent.Length)
        {
            // SslStream waits for its next record with a zero-byte read, then reads into its buffer.
            (await stream.ReadAsync(Memory<byte>.Empty)).ShouldBe(0);
            var n = await stream.ReadAsync(buffer);
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        received.ToArray().ShouldBe(sent);
        // Small records never fill a read: the stream is not streaming, so no FIONREAD per record.
        channel.AvailableQueries.ShouldBe(0);
        stream.HoldsBuffers.ShouldBeFalse();
    }

    [Fact]
    public async Task The_first_bytes_are_kept_whichever_way_they_were_read()
    {
        var channel = new ScriptedChannel();
        using var stream = new ByteChannelStream(channel);
        channel.Feed("SHOAL\x01\x02\x03tail"u8.ToArray(), chunk: 3);
        var buffer = new byte[64];
        var total = 0;
        while (total < 12) total += await stream.ReadAsync(buffer.AsMemory(total));
        stream.Head.ToArray().ShouldBe("SHOAL\x01\x02\x03"u8.ToArray());
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A byte channel fed by the test: receives return at most one fed chunk; sends are recorded.</summary>
    private sealed class ScriptedChannel : ByteChannel
    {
        private readonly Channel<byte[]> _inbound = Channel.CreateUnbounded<byte[]>();
        private byte[] _current = [];
        private int _offset;

        public List<byte[]> Sent { get; } = [];

        public override string LocalAddress => "tcp://127.0.0.1:1";

        public override string RemoteAddress => "tcp://127.0.0.1:2";

        private int _pending;

        /// <summary>Bytes fed and not received yet (a socket's FIONREAD).</summary>
        public override int Available
        {
            get
            {
                AvailableQueries++;
                return Volatile.Read(ref _pending);
            }
        }

        /// <summary>How often <see cref="Available"/> was asked (each is a system call on a socket).</summary>
        public int AvailableQueries { get; private set; }

        public void Feed(byte[] bytes, int chunk)
        {
            Interlocked.Add(ref _pending, bytes.Length);
            for (var i = 0; i < bytes.Length; i += chunk)
                _inbound.Writer.TryWrite(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)).ToArray());
        }

        public void Complete() => _inbound.Writer.TryComplete();

        public byte[] SentBytes() => Sent.SelectMany(s => s).ToArray();

        public override async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (_offset == _current.Length)
            {
                if (!await _inbound.Reader.WaitToReadAsync(cancellationToken)) return 0;
                _current = await _inbound.Reader.ReadAsync(cancellationToken);
                _offset = 0;
            }
            var n = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsSpan(_offset, n).CopyTo(buffer.Span);
            _offset += n;
            Interlocked.Add(ref _pending, -n);
            return n;
        }

        public override ValueTask SendAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
        {
            Sent.Add(data.ToArray());
            return ValueTask.CompletedTask;
        }

        public override void ShutdownSend() => Complete();

        public override void Dispose() => Complete();
    }
}

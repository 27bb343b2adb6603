using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Tests.Comm;

public class FrameCodecTests
{
    private static byte[] Encode(Envelope[] envelopes, Segment[][] segments)
    {
        var messages = new List<OutgoingMessage>();
        var all = new List<Segment>();
        for (var i = 0; i < envelopes.Length; i++)
        {
            messages.Add(new OutgoingMessage(envelopes[i], all.Count, segments[i].Length));
            all.AddRange(segments[i]);
        }
        var output = new ArrayBufferWriter<byte>();
        FrameEncoder.WriteFrame(output, messages.ToArray(), all.ToArray());
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Feeds the bytes to a decoder in chunks of <paramref name="chunk"/> bytes, as a socket would.</summary>
    private static List<DecodedFrame> Decode(byte[] bytes, int chunk, long maxFrameSize = int.MaxValue)
    {
        var decoder = new FrameDecoder(maxFrameSize);
        var frames = new List<DecodedFrame>();
        var pending = new List<byte>();
        for (var offset = 0; offset < bytes.Length; offset += chunk)
        {
            pending.AddRange(bytes.AsSpan(offset, Math.Min(chunk, bytes.Length - offset)).ToArray());
            var buffer = new ReadOnlySequence<byte>(pending.ToArray());
            while (decoder.TryDecode(ref buffer, out var frame)) frames.Add(frame!);
            pending = [.. buffer.ToArray()];
        }
        decoder.InFrame.ShouldBeFalse();
        pending.Count.ShouldBe(0);
        return frames;
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 100_000)]
    public void Frame_round_trips_with_any_number_of_segments(int segmentCount, int chunk)
    {
        var random = new Random(segmentCount);
        var segments = Enumerable.Range(0, segmentCount).Select(i =>
        {
            var bytes = new byte[i == 2 ? 70_000 : random.Next(0, 50)];
            random.NextBytes(bytes);
            return (Segment)bytes;
        }).ToArray();
        var envelopes = new[] { CommTestHelpers.Ping(7), new Envelope { TaskDone = new TaskDone { Key = "inc-1", Nbytes = 8 } }, CommTestHelpers.Ping(9) };
        var split = new[] { segments, Array.Empty<Segment>(), segments.Take(1).ToArray() };

        var frames = Decode(Encode(envelopes, split), chunk);

        frames.Count.ShouldBe(1);
        var frame = frames[0];
        frame.Messages.Count.ShouldBe(3);
        frame.Messages[0].Ping.RequestId.ShouldBe(7UL);
        frame.Messages[1].TaskDone.Key.ShouldBe("inc-1");
        frame.Segments.Length.ShouldBe(segmentCount + Math.Min(segmentCount, 1));
        frame.Messages[0].SegmentBase.ShouldBe(0U);
        frame.Messages[0].SegmentCount.ShouldBe((uint)segmentCount);
        frame.Messages[1].SegmentBase.ShouldBe((uint)segmentCount);
        frame.Messages[1].SegmentCount.ShouldBe(0U);
        frame.Messages[2].SegmentBase.ShouldBe((uint)segmentCount);
        for (var i = 0; i < segmentCount; i++)
            frame.Segments[i].Bytes.ToArray().ShouldBe(segments[i].Bytes.ToArray());
    }

    [Fact]
    public void Many_small_segments_spanning_several_shared_blocks_keep_their_bytes()
    {
        var segments = Enumerable.Range(0, 40).Select(i => (Segment)Enumerable.Repeat((byte)i, i % 2 == 0 ? 60_000 : 1).ToArray()).ToArray();
        var frame = Decode(Encode([CommTestHelpers.Ping(1)], [segments]), 50_000).Single();
        frame.Segments.Length.ShouldBe(40);
        for (var i = 0; i < 40; i++)
        {
            frame.Segments[i].Length.ShouldBe(i % 2 == 0 ? 60_000 : 1);
            frame.Segments[i].Bytes.ToArray().ShouldAllBe(b => b == (byte)i);
        }
    }

    [Fact]
    public void Encoder_does_not_modify_the_envelope_and_overrides_its_segment_fields()
    {
        var envelope = new Envelope { SegmentBase = 40, SegmentCount = 3, Ping = new Ping { RequestId = 1 } };
        var bytes = Encode([CommTestHelpers.Ping(0), envelope], [[new byte[] { 1 }], [new byte[] { 2 }, new byte[] { 3 }]]);

        envelope.SegmentBase.ShouldBe(40U);
        envelope.SegmentCount.ShouldBe(3U);
        var frame = Decode(bytes, 1000).Single();
        frame.Messages[1].SegmentBase.ShouldBe(1U);
        frame.Messages[1].SegmentCount.ShouldBe(2U);
        frame.Segments[(int)frame.Messages[1].SegmentBase].Bytes.ToArray().ShouldBe(new byte[] { 2 });
    }

    [Fact]
    public void Several_frames_in_one_buffer_decode_one_after_the_other()
    {
        var one = Encode([CommTestHelpers.Ping(1)], [[new byte[] { 1, 2 }]]);
        var two = Encode([CommTestHelpers.Ping(2)], [[]]);
        var frames = Decode([.. one, .. two, .. one], 1 << 20);
        frames.Select(f => f.Messages[0].Ping.RequestId).ShouldBe([1UL, 2UL, 1UL]);
    }

    private static ProtocolException DecodeError(byte[] bytes, long maxFrameSize = int.MaxValue)
    {
        var decoder = new FrameDecoder(maxFrameSize);
        var buffer = new ReadOnlySequence<byte>(bytes);
        return Should.Throw<ProtocolException>(() => decoder.TryDecode(ref buffer, out _));
    }

    private static byte[] RawFrame(byte[] batch, byte[] segmentBytes, uint? frameLength = null, uint? batchLength = null)
    {
        var bytes = new byte[8 + batch.Length + segmentBytes.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, frameLength ?? (uint)(4 + batch.Length + segmentBytes.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), batchLength ?? (uint)batch.Length);
        batch.CopyTo(bytes, 8);
        segmentBytes.CopyTo(bytes, 8 + batch.Length);
        return bytes;
    }

    [Fact]
    public void Frame_longer_than_the_maximum_is_rejected_from_its_header_alone()
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 5000);
        var error = DecodeError(header, maxFrameSize: 1000);
        error.Message.ShouldContain("5000");
        error.Message.ShouldContain("1000");
        error.Message.ShouldContain("maximum frame size");
    }

    [Fact]
    public void Batch_length_past_the_frame_is_rejected()
    {
        DecodeError(RawFrame([], [], frameLength: 10, batchLength: 20)).Message.ShouldContain("batch length 20");
    }

    [Fact]
    public void Frame_too_short_for_its_batch_length_is_rejected()
    {
        DecodeError(RawFrame([], [], frameLength: 2, batchLength: 0)).Message.ShouldContain("too short");
    }

    [Fact]
    public void Malformed_protobuf_batch_is_rejected()
    {
        DecodeError(RawFrame([0x0A, 0xFF, 0xFF, 0x01], [])).Message.ShouldContain("malformed batch");
    }

    [Fact]
    public void Segment_lengths_that_do_not_add_up_are_rejected()
    {
        var batch = new Batch { SegmentLengths = { 3, 4 } }.ToByteArray();
        DecodeError(RawFrame(batch, new byte[5])).Message.ShouldContain("segment lengths add up to 7 bytes but the frame carries 5");
        DecodeError(RawFrame(batch, new byte[9])).Message.ShouldContain("segment lengths add up to 7 bytes but the frame carries 9");
        var huge = new Batch { SegmentLengths = { ulong.MaxValue, 2 } }.ToByteArray();
        DecodeError(RawFrame(huge, new byte[1])).Message.ShouldContain($"segment lengths add up to {(UInt128)ulong.MaxValue + 2} bytes");
    }

    [Fact]
    public void Message_pointing_past_the_frame_segments_is_rejected()
    {
        var batch = new Batch
        {
            Messages = { new Envelope { SegmentBase = 1, SegmentCount = 2, Ping = new Ping() } },
            SegmentLengths = { 1, 1 },
        }.ToByteArray();
        var error = DecodeError(RawFrame(batch, new byte[2]));
        error.Message.ShouldContain("message 0 (Ping) points at segments [1, 3) but the frame has 2");
    }

    [Fact]
    public void Handshake_preamble_check_names_the_problem()
    {
        Should.Throw<ProtocolException>(() => HandshakeCodec.CheckPreamble("GET / "u8)).Message.ShouldBe("not a Shoal peer (bad preamble)");
        Should.Throw<ProtocolException>(() => HandshakeCodec.CheckPreamble("SHOAL\u0009"u8)).Message.ShouldContain("handshake format 9");
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 1_000_000);
        Should.Throw<ProtocolException>(() => HandshakeCodec.ReadMessageHeader(header, out _)).Message.ShouldContain("exceeds the limit of 65536 bytes");
    }
}

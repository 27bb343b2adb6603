using System.Buffers;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Tests.Comm;

/// <summary>
/// The decoder's direct path: the body of a big segment is received straight into its array
/// (<see cref="FrameDecoder.TryGetSegmentTarget"/>), mixed freely with bytes that go through the
/// input buffer, and the frame comes out the same.
/// </summary>
public class FrameDecoderDirectTests
{
    [Fact]
    public void Direct_and_buffered_bytes_mix_into_the_same_frame()
    {
        var big = Bytes(300_000, 1);
        var small = Bytes(10, 2);
        var other = Bytes(100_000, 3);
        var frame = Encode(new Envelope { Ping = new Ping { RequestId = 7 } }, big, small, other);
        var decoder = new FrameDecoder(64 * 1024 * 1024);
        var headLength = frame.Length - big.Length - small.Length - other.Length;

        // Header and batch, plus the first 1,000 bytes of the big segment, through the buffer.
        var input = new ReadOnlySequence<byte>(frame, 0, headLength + 1000);
        decoder.TryDecode(ref input, out _).ShouldBeFalse();
        input.Length.ShouldBe(0);
        decoder.TryGetSegmentTarget(64 * 1024, out var target).ShouldBeTrue();
        target.Length.ShouldBe(big.Length - 1000);

        // 100,000 straight into the array, then the rest of the big one and part of the next through the buffer.
        frame.AsSpan(headLength + 1000, 100_000).CopyTo(target.Span);
        decoder.SegmentReceived(100_000);
        var offset = headLength + 101_000;
        input = new ReadOnlySequence<byte>(frame, offset, big.Length - 101_000 + small.Length + 500);
        decoder.TryDecode(ref input, out _).ShouldBeFalse();
        offset += big.Length - 101_000 + small.Length + 500;

        // The last segment misses 99,500: direct again, in two receives.
        decoder.TryGetSegmentTarget(64 * 1024, out target).ShouldBeTrue();
        target.Length.ShouldBe(other.Length - 500);
        frame.AsSpan(offset, 60_000).CopyTo(target.Span);
        decoder.SegmentReceived(60_000);
        decoder.TryGetSegmentTarget(64 * 1024, out _).ShouldBeFalse(); // 39,500 left: below the threshold
        decoder.TryGetSegmentTarget(1, out target).ShouldBeTrue();
        frame.AsSpan(offset + 60_000, 39_500).CopyTo(target.Span);
        decoder.SegmentReceived(39_500);

        var none = ReadOnlySequence<byte>.Empty;
        decoder.TryDecode(ref none, out var decoded).ShouldBeTrue();
        decoder.InFrame.ShouldBeFalse();
        decoded!.Messages[0].Ping.RequestId.ShouldBe(7UL);
        decoded.Segments[0].Bytes.ToArray().ShouldBe(big);
        decoded.Segments[1].Bytes.ToArray().ShouldBe(small);
        decoded.Segments[2].Bytes.ToArray().ShouldBe(other);
        decoder.TryGetSegmentTarget(1, out _).ShouldBeFalse();
    }

    [Fact]
    public void No_target_outside_a_segment_and_no_overfilling()
    {
        var big = Bytes(200_000, 4);
        var frame = Encode(new Envelope { Ping = new Ping { RequestId = 1 } }, big);
        var decoder = new FrameDecoder(64 * 1024 * 1024);
        decoder.TryGetSegmentTarget(1, out _).ShouldBeFalse(); // still waiting for a header
        var input = new ReadOnlySequence<byte>(frame, 0, 6);
        decoder.TryDecode(ref input, out _).ShouldBeFalse();
        decoder.TryGetSegmentTarget(1, out _).ShouldBeFalse(); // header incomplete
        input = new ReadOnlySequence<byte>(frame, 0, frame.Length - big.Length);
        decoder.TryDecode(ref input, out _).ShouldBeFalse();
        decoder.TryGetSegmentTarget(1, out var target).ShouldBeTrue();
        target.Length.ShouldBe(big.Length);
        Should.Throw<InvalidOperationException>(() => decoder.SegmentReceived(big.Length + 1));
    }

    private static byte[] Encode(Envelope envelope, params byte[][] segments)
    {
        var output = new ArrayBufferWriter<byte>();
        FrameEncoder.WriteFrame(output, [new OutgoingMessage(envelope, 0, segments.Length)], segments.Select(s => new Segment(s)).ToArray());
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

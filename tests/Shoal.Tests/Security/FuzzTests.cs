using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Security;

namespace Shoal.Tests.Security;

/// <summary>A bounded fuzz run from fixed seeds (the long run is the "fuzz" benchmark): only clean closes.</summary>
public class FuzzTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Frame_decoder_survives_mutated_and_random_input(int seed)
    {
        var report = WireFuzzer.FuzzFrameDecoder(seed, 3000);
        report.Failures.ShouldBeEmpty();
        // The mutations reach every outcome: not just rejections.
        report.Accepted.ShouldBeGreaterThan(0);
        report.Rejected.ShouldBeGreaterThan(0);
        report.Incomplete.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Handshake_survives_mutated_and_random_input()
    {
        var report = await WireFuzzer.FuzzHandshakeAsync(seed: 7, cases: 256);
        report.Failures.ShouldBeEmpty();
        report.Rejected.ShouldBe(256);
    }
}

/// <summary>Regressions the fuzzer found.</summary>
public class FuzzRegressionTests
{
    [Fact]
    public void Frame_whose_first_segment_is_empty_decodes()
    {
        // Found by WireFuzzer (seed 1, case 55): an empty first segment crashed the decoder with ArgumentOutOfRangeException.
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var ping = new Shoal.Protocol.Messages.Envelope { Ping = new Shoal.Protocol.Messages.Ping { RequestId = 3 } };
        Shoal.Protocol.FrameEncoder.WriteFrame(output, [new Shoal.Protocol.OutgoingMessage(ping, 0, 2)], [new Shoal.Protocol.Segment(Array.Empty<byte>()), new Shoal.Protocol.Segment(new byte[] { 1, 2 })]);
        var decoder = new Shoal.Protocol.FrameDecoder(1 << 20);
        var buffer = new System.Buffers.ReadOnlySequence<byte>(output.WrittenMemory);
        decoder.TryDecode(ref buffer, out var frame).ShouldBeTrue();
        frame!.Segments.Length.ShouldBe(2);
        frame.Segments[0].Length.ShouldBe(0);
        frame.Segments[1].Bytes.ToArray().ShouldBe(new byte[] { 1, 2 });
    }
}

/// <summary>Replays of long fuzz runs whose failures were fixed.</summary>
public class FuzzReplayTests
{
    [Fact]
    public void Protobuf_range_exceptions_on_malformed_batches_become_protocol_errors()
    {
        // Seed 1, cases 33970 and 46010 of the "fuzz" benchmark: Google.Protobuf threw
        // ArgumentOutOfRange/IndexOutOfRange instead of InvalidProtocolBufferException.
        WireFuzzer.FuzzFrameDecoder(1, 46_011).Failures.ShouldBeEmpty();
    }
}

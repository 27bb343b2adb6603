using System.Buffers;
using System.Runtime.InteropServices;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Serialization;

namespace Shoal.Tests.Serialization;

/// <summary>
/// Big arrays received straight into the array the value becomes (<see cref="ReceivedArrays"/>,
/// <see cref="UnmanagedArrayFormat"/>): exact values, one array per read, descriptors that are
/// only hints, and raw bytes that never become references.
/// </summary>
public class ReceivedArraysTests
{
    [Fact]
    public void A_big_double_array_is_received_into_the_array_the_value_becomes()
    {
        var values = new double[300_000];
        var random = new Random(1);
        for (var i = 0; i < values.Length; i++) values[i] = random.NextDouble();

        var segments = Receive(ValueSerializer.Default.Serialize(values).Segments, piece: 7_001);
        var back = (double[])ValueSerializer.Default.Deserialize(segments)!;

        back.ShouldBe(values);
        back.ShouldNotBeSameAs(values);
        // The body segment is the returned array's memory: no second array was made.
        MemoryMarshal.TryGetMemoryManager(segments[^1].Bytes, out ArrayMemoryManager? manager).ShouldBeTrue();
        manager!.Array.ShouldBeSameAs(back);
    }

    [Theory]
    [InlineData(typeof(int))]
    [InlineData(typeof(byte))]
    [InlineData(typeof(long))]
    [InlineData(typeof(float))]
    public void Other_element_types_land_in_place_too(Type element)
    {
        var array = Array.CreateInstance(element, 200_000 / UnmanagedTypes.SizeOf(element));
        new Random(2).NextBytes(UnmanagedTypes.AsBytes(array, array.LongLength * UnmanagedTypes.SizeOf(element)));

        var segments = Receive(ValueSerializer.Default.Serialize(array).Segments, piece: 65_536);
        var back = (Array)ValueSerializer.Default.Deserialize(segments)!;

        back.GetType().ShouldBe(array.GetType());
        UnmanagedTypes.AsBytes(back, back.LongLength * UnmanagedTypes.SizeOf(element)).SequenceEqual(
            UnmanagedTypes.AsBytes(array, array.LongLength * UnmanagedTypes.SizeOf(element))).ShouldBeTrue();
        MemoryMarshal.TryGetMemoryManager(segments[^1].Bytes, out ArrayMemoryManager? manager).ShouldBeTrue();
        manager!.Array.ShouldBeSameAs(back);
    }

    [Fact]
    public void Reading_the_same_received_bytes_twice_gives_two_arrays()
    {
        var values = Enumerable.Range(0, 100_000).ToArray();
        var segments = Receive(ValueSerializer.Default.Serialize(values).Segments, piece: 1 << 20);

        var first = (int[])ValueSerializer.Default.Deserialize(segments)!;
        var second = (int[])ValueSerializer.Default.Deserialize(segments)!;

        second.ShouldNotBeSameAs(first);
        first.ShouldBe(values);
        second.ShouldBe(values);
        first[0] = -1;
        second[0].ShouldBe(0);
    }

    [Fact]
    public void Arrays_inside_containers_and_small_arrays_keep_their_values()
    {
        var big = Enumerable.Range(0, 50_000).Select(i => (long)i * 3).ToArray();
        var value = (big, new[] { 1.5, 2.5 }, new List<byte[]> { new byte[70_000], new byte[] { 1, 2, 3 } }, new int[300, 100]);
        value.Item3[0][69_999] = 9;
        value.Item4[299, 99] = 7;

        var back = ((long[], double[], List<byte[]>, int[,]))ValueSerializer.Default.Deserialize(
            Receive(ValueSerializer.Default.Serialize(value).Segments, piece: 4_099))!;

        back.Item1.ShouldBe(big);
        back.Item2.ShouldBe([1.5, 2.5]);
        back.Item3[0][69_999].ShouldBe((byte)9);
        back.Item3[1].ShouldBe(new byte[] { 1, 2, 3 });
        back.Item4[299, 99].ShouldBe(7);
    }

    [Fact]
    public void A_descriptor_that_disagrees_with_the_value_costs_a_copy_not_a_wrong_value()
    {
        var values = new double[20_000];
        values[123] = 4.5;
        var segments = ValueSerializer.Default.Serialize(values).Segments.ToArray();
        // A peer's descriptor claims int elements (same byte count): the body lands in an int[],
        // but the value says double[], so the value is a copy into a double[].
        var lie = UnmanagedArrayFormat.Descriptor(new int[40_000], 0);
        segments[1] = lie;

        var received = Receive(segments, piece: 100_000);
        MemoryMarshal.TryGetMemoryManager(received[^1].Bytes, out ArrayMemoryManager? manager).ShouldBeTrue();
        manager!.Array.ShouldBeOfType<int[]>();
        var back = (double[])ValueSerializer.Default.Deserialize(received)!;
        back.ShouldBe(values);
    }

    [Fact]
    public void A_descriptor_asking_for_more_than_the_frame_carries_allocates_nothing_of_it()
    {
        var targets = new ReceivedArrays();
        targets.FrameStarted();
        var huge = Descriptor(code: UnmanagedArrayFormat.CodeOf(typeof(double)), count: 200_000_000, offset: 0);
        targets.TargetFor(huge, 100_000, frameBytesLeft: 100_000).IsEmpty.ShouldBeTrue();
        var tooLong = Descriptor(UnmanagedArrayFormat.CodeOf(typeof(byte)), count: 10, offset: 0);
        targets.TargetFor(tooLong, 100_000, frameBytesLeft: 1 << 20).IsEmpty.ShouldBeTrue();
        // Unknown element code, bad magic, wrong size: not descriptors.
        var unknown = Descriptor(code: 200, count: 100_000, offset: 0);
        targets.TargetFor(unknown, 100_000, 1 << 20).IsEmpty.ShouldBeTrue();
        targets.TargetFor(new byte[UnmanagedArrayFormat.DescriptorSize], 100_000, 1 << 20).IsEmpty.ShouldBeTrue();
        targets.TargetFor(huge.AsSpan(0, 16), 100_000, 1 << 20).IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void Chunks_of_one_array_land_in_that_array_in_order_only()
    {
        var targets = new ReceivedArrays();
        targets.FrameStarted();
        var code = UnmanagedArrayFormat.CodeOf(typeof(int));
        var first = targets.TargetFor(Descriptor(code, 100_000, 0), 300_000, 400_000);
        var second = targets.TargetFor(Descriptor(code, 100_000, 300_000), 100_000, 100_000);
        first.Length.ShouldBe(300_000);
        second.Length.ShouldBe(100_000);
        MemoryMarshal.Cast<byte, int>(first.Span).Fill(1);
        MemoryMarshal.Cast<byte, int>(second.Span).Fill(2);

        ReceivedArrays.TryTake([new Segment(first), new Segment(second)], typeof(int), 100_000, out var array).ShouldBeTrue();
        var ints = (int[])array!;
        ints[74_999].ShouldBe(1);
        ints[75_000].ShouldBe(2);

        // A chunk that does not continue the array in progress gets no target.
        targets.FrameStarted();
        targets.TargetFor(Descriptor(code, 100_000, 0), 300_000, 400_000).IsEmpty.ShouldBeFalse();
        targets.TargetFor(Descriptor(code, 100_000, 200_000), 200_000, 200_000).IsEmpty.ShouldBeTrue();
        targets.FrameStarted();
        targets.TargetFor(Descriptor(code, 100_000, 300_000), 100_000, 100_000).IsEmpty.ShouldBeTrue();
    }

    [Theory]
    [InlineData(typeof(string))]
    [InlineData(typeof(object))]
    [InlineData(typeof(KeyValuePair<string, int>))]
    public void Raw_arrays_of_reference_holding_elements_are_refused(Type element)
    {
        // A hostile peer writes an "unmanaged array" of strings: the raw bytes would be references.
        foreach (var outOfBand in new[] { false, true })
        {
            var w = new ValueWriter();
            w.WriteByte((byte)ValueTag.UnmanagedArray);
            TypeIdentity.Write(w, element);
            w.WriteByte(0);
            w.WriteVarInt32(8_192);
            var payload = new byte[8_192 * 16];
            Array.Fill(payload, (byte)0x41);
            Segment[] segments;
            if (outOfBand)
            {
                w.WriteVarInt32(1);
                w.WriteByte(1);
                // A descriptor for ulongs of the same size, so the body is received into a typed array.
                segments = Receive([w.ToArray(), Descriptor(UnmanagedArrayFormat.CodeOf(typeof(ulong)), payload.Length / 8, 0), payload], piece: 1 << 20);
            }
            else
            {
                w.WriteVarInt32(0);
                w.WriteBytes(payload);
                segments = [w.ToArray()];
            }

            var error = Should.Throw<ValueSerializationException>(() => ValueSerializer.Default.Deserialize(segments));
            error.Message.ShouldContain("refused");
        }
    }

    [Fact]
    public void A_chunk_count_past_the_segments_is_malformed_before_anything_is_allocated()
    {
        var w = new ValueWriter();
        w.WriteByte((byte)ValueTag.UnmanagedArray);
        TypeIdentity.Write(w, typeof(double));
        w.WriteByte(0);
        w.WriteVarInt32(int.MaxValue / 8);
        w.WriteVarInt32(int.MaxValue);
        w.WriteByte(1);
        Should.Throw<ValueSerializationException>(() => ValueSerializer.Default.Deserialize([w.ToArray()])).Message.ShouldContain("fewer payload segments");
    }

    /// <summary>Sends <paramref name="segments"/> as one message through an encoder and a decoder with <see cref="ReceivedArrays"/>, <paramref name="piece"/> bytes at a time.</summary>
    internal static Segment[] Receive(IReadOnlyList<Segment> segments, int piece)
    {
        var output = new ArrayBufferWriter<byte>();
        FrameEncoder.WriteFrame(output, [new OutgoingMessage(new Envelope { Ping = new Ping { RequestId = 1 } }, 0, segments.Count)], segments.ToArray());
        var frame = output.WrittenMemory;
        var decoder = new FrameDecoder(1L << 30, new ReceivedArrays());
        DecodedFrame? decoded = null;
        for (var offset = 0; offset < frame.Length;)
        {
            // Alternate the two receive paths: through the input buffer, straight into the target.
            if (decoder.TryGetSegmentTarget(1, out var target))
            {
                var n = Math.Min(Math.Min(piece, target.Length), frame.Length - offset);
                frame.Span.Slice(offset, n).CopyTo(target.Span);
                decoder.SegmentReceived(n);
                offset += n;
                var none = ReadOnlySequence<byte>.Empty;
                if (decoder.TryDecode(ref none, out decoded)) break;
                continue;
            }
            var input = new ReadOnlySequence<byte>(frame.Slice(offset, Math.Min(piece, frame.Length - offset)));
            var length = input.Length;
            var done = decoder.TryDecode(ref input, out decoded);
            offset += (int)(length - input.Length);
            if (done) break;
            input.Length.ShouldBe(0);
        }
        decoded.ShouldNotBeNull();
        return decoded.Segments;
    }

    private static byte[] Descriptor(byte code, long count, long offset)
    {
        var bytes = new byte[UnmanagedArrayFormat.DescriptorSize];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0x52414853);
        bytes[4] = code;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), count);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), offset);
        return bytes;
    }
}

using System.Buffers;
using Google.Protobuf;

namespace Shoal.Protocol;

/// <summary>
/// Writes frames: <c>u32 frame length | u32 batch length | Batch | segments</c>.
/// The Batch is written by hand so that the caller's <see cref="Messages.Envelope"/> objects are
/// never mutated (the same envelope may be sent on many connections at once): each envelope's
/// body is serialised as is, followed by explicit <c>segment_base</c>/<c>segment_count</c> fields,
/// which win over any values the envelope carried because protobuf keeps the last occurrence.
/// </summary>
internal static class FrameEncoder
{
    /// <summary>Encoded size of an envelope inside a batch, given its body size and segment range.</summary>
    public static int EnvelopeSize(int bodySize, uint segmentBase, uint segmentCount) =>
        bodySize + 1 + WireFormat.VarintSize(segmentBase) + 1 + WireFormat.VarintSize(segmentCount);

    /// <summary>Bytes one envelope adds to a batch (tag + length + envelope).</summary>
    public static int BatchEntrySize(int envelopeSize) => 1 + WireFormat.VarintSize((ulong)envelopeSize) + envelopeSize;

    /// <summary>
    /// Measures a frame. <paramref name="bodySizes"/> holds each envelope's <c>CalculateSize()</c>.
    /// Returns the batch length; <paramref name="segmentBytes"/> receives the total segment length.
    /// </summary>
    public static int MeasureBatch(ReadOnlySpan<OutgoingMessage> messages, ReadOnlySpan<int> bodySizes, ReadOnlySpan<Segment> segments, out long segmentBytes)
    {
        long batch = 0;
        var first = messages.Length > 0 ? messages[0].SegmentStart : 0;
        for (var i = 0; i < messages.Length; i++)
        {
            var m = messages[i];
            batch += BatchEntrySize(EnvelopeSize(bodySizes[i], (uint)(m.SegmentStart - first), (uint)m.SegmentCount));
        }
        segmentBytes = 0;
        if (segments.Length > 0)
        {
            long packed = 0;
            foreach (var s in segments)
            {
                packed += WireFormat.VarintSize((ulong)s.Length);
                segmentBytes += s.Length;
            }
            batch += 1 + WireFormat.VarintSize((ulong)packed) + packed;
        }
        if (batch > int.MaxValue) throw new InvalidOperationException($"a batch of {batch} bytes is too large for one frame");
        return (int)batch;
    }

    /// <summary>
    /// Writes the frame header and the Batch. The caller then writes the segments' bytes, in
    /// order, with <see cref="WriteSegment"/>. <paramref name="segments"/> are this frame's
    /// segments: message <c>i</c>'s start this frame at <c>messages[i].SegmentStart - messages[0].SegmentStart</c>.
    /// </summary>
    public static void WriteHead(IBufferWriter<byte> output, ReadOnlySpan<OutgoingMessage> messages, ReadOnlySpan<int> bodySizes,
        ReadOnlySpan<Segment> segments, int batchLength, long segmentBytes)
    {
        var frameLength = 4L + batchLength + segmentBytes;
        if (frameLength > uint.MaxValue) throw new InvalidOperationException($"a frame of {frameLength} bytes is too large");
        var total = WireFormat.FrameHeaderSize + batchLength;
        var span = output.GetSpan(total)[..total];
        WireFormat.WriteUInt32(span, (uint)frameLength);
        WireFormat.WriteUInt32(span[4..], (uint)batchLength);
        var pos = WireFormat.FrameHeaderSize;
        var first = messages.Length > 0 ? messages[0].SegmentStart : 0;
        for (var i = 0; i < messages.Length; i++)
        {
            var m = messages[i];
            var segmentBase = (uint)(m.SegmentStart - first);
            var segmentCount = (uint)m.SegmentCount;
            var envelopeSize = EnvelopeSize(bodySizes[i], segmentBase, segmentCount);
            span[pos++] = 0x0A; // Batch.messages, field 1, length-delimited
            pos += WireFormat.WriteVarint(span[pos..], (ulong)envelopeSize);
            m.Envelope.WriteTo(span.Slice(pos, bodySizes[i]));
            pos += bodySizes[i];
            span[pos++] = 0x08; // Envelope.segment_base, field 1, varint
            pos += WireFormat.WriteVarint(span[pos..], segmentBase);
            span[pos++] = 0x10; // Envelope.segment_count, field 2, varint
            pos += WireFormat.WriteVarint(span[pos..], segmentCount);
        }
        if (segments.Length > 0)
        {
            var packed = 0;
            foreach (var s in segments) packed += WireFormat.VarintSize((ulong)s.Length);
            span[pos++] = 0x12; // Batch.segment_lengths, field 2, packed
            pos += WireFormat.WriteVarint(span[pos..], (ulong)packed);
            foreach (var s in segments) pos += WireFormat.WriteVarint(span[pos..], (ulong)s.Length);
        }
        if (pos != total) throw new InvalidOperationException($"frame encoder wrote {pos} bytes, measured {total}");
        output.Advance(total);
    }

    /// <summary>Copies one segment's bytes into the output (in chunks the output hands out).</summary>
    public static void WriteSegment(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var span = output.GetSpan(Math.Min(bytes.Length, 64 * 1024));
            var n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            output.Advance(n);
            bytes = bytes[n..];
        }
    }

    /// <summary>Writes one whole frame holding <paramref name="messages"/> (a convenience for tests and tools).</summary>
    public static void WriteFrame(IBufferWriter<byte> output, ReadOnlySpan<OutgoingMessage> messages, ReadOnlySpan<Segment> allSegments)
    {
        var bodySizes = new int[messages.Length];
        for (var i = 0; i < messages.Length; i++) bodySizes[i] = messages[i].Envelope.CalculateSize();
        var first = messages.Length > 0 ? messages[0].SegmentStart : 0;
        var end = messages.Length > 0 ? messages[^1].SegmentStart + messages[^1].SegmentCount : 0;
        var segments = allSegments[first..end];
        foreach (var s in segments)
            if (s.IsObject) throw new InvalidOperationException("object segments cannot be written to a byte stream");
        var batchLength = MeasureBatch(messages, bodySizes, segments, out var segmentBytes);
        WriteHead(output, messages, bodySizes, segments, batchLength, segmentBytes);
        foreach (var s in segments) WriteSegment(output, s.Bytes.Span);
    }
}

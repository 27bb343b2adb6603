using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using Shoal.Protocol.Messages;

namespace Shoal.Protocol;

/// <summary>
/// Incremental frame decoder. It reads the header first and rejects a frame longer than the
/// maximum before buffering any of it; it then parses the Batch, checks it, and copies the
/// segments out of the input as they arrive (so a 100 MB segment is never buffered twice).
/// A big segment goes into memory that <see cref="ISegmentTargets"/> chooses when it wants to
/// (the typed array a value will be), otherwise into a byte array of its own.
/// Not thread-safe: one decoder per connection.
/// </summary>
internal sealed class FrameDecoder
{
    private enum State { Header, Batch, Segments }

    /// <summary>Small received segments are packed into arrays of at most this size.</summary>
    private const int SharedBlockSize = 256 * 1024;

    private readonly long _maxFrameSize;
    private readonly ISegmentTargets? _targets;
    private State _state = State.Header;
    private long _frameLength;
    private int _batchLength;
    private Batch? _batch;
    private Memory<byte>[] _segmentMemory = [];
    private bool[] _segmentAllocated = [];
    private int[] _segmentOffsets = [];
    private int[] _segmentLengths = [];
    private int[] _segmentBlocks = [];
    private readonly List<int> _blockSizes = [];
    private byte[]?[] _blocks = [];
    private int _segmentIndex;
    private int _segmentFilled;
    private long _received;

    /// <summary>
    /// Creates a decoder that rejects frames longer than <paramref name="maxFrameSize"/> bytes (after
    /// the length field); <paramref name="targets"/>, if any, may choose where big segments go.
    /// </summary>
    public FrameDecoder(long maxFrameSize, ISegmentTargets? targets = null)
    {
        _targets = targets;
        if (maxFrameSize < 4 || maxFrameSize > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(maxFrameSize), maxFrameSize, "the maximum frame size must be between 4 bytes and 2 GiB - 1");
        _maxFrameSize = maxFrameSize;
    }

    /// <summary>True when part of a frame was consumed but not all of it.</summary>
    public bool InFrame => _state != State.Header;

    /// <summary>
    /// Describes how far the current frame got, for a "truncated frame" error;
    /// <paramref name="buffered"/> is what the caller holds but the decoder has not consumed.
    /// </summary>
    public string Progress(long buffered) => _state == State.Header
        ? $"{buffered} bytes of a frame header"
        : $"{_received + buffered} of {_frameLength + 4} bytes of a frame";

    /// <summary>
    /// Decodes from <paramref name="buffer"/>, slicing off what it consumed. Returns true with a
    /// frame when one is complete; false when it needs more input. Throws
    /// <see cref="ProtocolException"/> on a malformed or oversized frame.
    /// </summary>
    public bool TryDecode(ref ReadOnlySequence<byte> buffer, out DecodedFrame? frame)
    {
        frame = null;
        while (true)
        {
            switch (_state)
            {
                case State.Header:
                    if (buffer.Length < WireFormat.FrameHeaderSize) return false;
                    ReadHeader(buffer.Slice(0, WireFormat.FrameHeaderSize));
                    buffer = buffer.Slice(WireFormat.FrameHeaderSize);
                    _received = WireFormat.FrameHeaderSize;
                    _state = State.Batch;
                    break;

                case State.Batch:
                    if (buffer.Length < _batchLength) return false;
                    ParseBatch(buffer.Slice(0, _batchLength));
                    buffer = buffer.Slice(_batchLength);
                    _received += _batchLength;
                    _state = State.Segments;
                    break;

                case State.Segments:
                    if (!CopySegments(ref buffer)) return false;
                    frame = Complete();
                    return true;
            }
        }
    }

    /// <summary>
    /// When the decoder waits for the rest of a segment with at least <paramref name="minLength"/>
    /// bytes missing, gives the part of that segment's array still to fill, so that the caller can
    /// receive into it directly (one copy less than going through its input buffer); then call
    /// <see cref="SegmentReceived"/> and <see cref="TryDecode"/> (with an empty buffer if nothing
    /// else arrived) to finish the frame.
    /// </summary>
    public bool TryGetSegmentTarget(int minLength, out Memory<byte> target)
    {
        target = default;
        if (_state != State.Segments || _segmentIndex >= _segmentLengths.Length) return false;
        var missing = _segmentLengths[_segmentIndex] - _segmentFilled;
        if (missing < minLength || missing <= 0) return false;
        target = MemoryOf(_segmentIndex)[_segmentFilled..];
        return true;
    }

    /// <summary>Records <paramref name="count"/> bytes received straight into the target of <see cref="TryGetSegmentTarget"/>.</summary>
    public void SegmentReceived(int count)
    {
        var missing = _segmentLengths[_segmentIndex] - _segmentFilled;
        if (_state != State.Segments || count < 0 || count > missing)
            throw new InvalidOperationException($"{count} bytes received into a segment that misses {missing}");
        _segmentFilled += count;
        _received += count;
    }

    private void ReadHeader(ReadOnlySequence<byte> header)
    {
        Span<byte> bytes = stackalloc byte[WireFormat.FrameHeaderSize];
        header.CopyTo(bytes);
        _frameLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        var batchLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        if (_frameLength > _maxFrameSize)
            throw new ProtocolException($"frame of {_frameLength} bytes exceeds the maximum frame size of {_maxFrameSize} bytes");
        if (_frameLength < 4)
            throw new ProtocolException($"frame length {_frameLength} is too short to hold its batch length");
        if (batchLength > _frameLength - 4)
            throw new ProtocolException($"batch length {batchLength} exceeds the frame's {_frameLength - 4} bytes after its header");
        _batchLength = (int)batchLength;
    }

    private void ParseBatch(ReadOnlySequence<byte> bytes)
    {
        Batch batch;
        try
        {
            batch = Batch.Parser.ParseFrom(bytes);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            // Google.Protobuf lets some malformed inputs escape as range exceptions (found by the fuzzer).
            throw new ProtocolException($"malformed batch ({_batchLength} bytes): {ex.Message}", ex);
        }

        var expected = (ulong)(_frameLength - 4 - _batchLength);
        UInt128 sum = 0;
        var lengths = batch.SegmentLengths;
        foreach (var length in lengths) sum += length;
        if (sum != expected)
            throw new ProtocolException($"segment lengths add up to {sum} bytes but the frame carries {expected} bytes after its batch");

        var messages = batch.Messages;
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if ((ulong)m.SegmentBase + m.SegmentCount > (ulong)lengths.Count)
                throw new ProtocolException(
                    $"message {i} ({m.BodyCase}) points at segments [{m.SegmentBase}, {(ulong)m.SegmentBase + m.SegmentCount}) but the frame has {lengths.Count}");
        }

        // Small segments share blocks of up to SharedBlockSize (few allocations per frame); big
        // ones get their own array so that a long-lived value does not pin the rest of its frame.
        // Arrays are allocated when their first byte arrives, not when the batch announces them.
        var count = lengths.Count;
        _segmentMemory = new Memory<byte>[count];
        _segmentAllocated = new bool[count];
        _segmentOffsets = new int[count];
        _segmentLengths = new int[count];
        _segmentBlocks = new int[count];
        _blockSizes.Clear();
        var blockFill = SharedBlockSize;
        for (var i = 0; i < count; i++)
        {
            var length = (int)lengths[i];
            _segmentLengths[i] = length;
            if (length >= WireFormat.OwnArraySegmentThreshold)
            {
                _segmentBlocks[i] = -1;
                continue;
            }
            // The first shared segment always opens a block (an empty one would otherwise find none).
            if (_blockSizes.Count == 0 || blockFill + length > SharedBlockSize)
            {
                _blockSizes.Add(0);
                blockFill = 0;
            }
            _segmentBlocks[i] = _blockSizes.Count - 1;
            _segmentOffsets[i] = blockFill;
            blockFill += length;
            _blockSizes[^1] = blockFill;
        }
        _blocks = _blockSizes.Count == 0 ? [] : new byte[_blockSizes.Count][];
        _segmentIndex = 0;
        _segmentFilled = 0;
        _batch = batch;
        _targets?.FrameStarted();
    }

    /// <summary>The memory segment <paramref name="segment"/> is received into, made when its first byte arrives.</summary>
    private Memory<byte> MemoryOf(int segment)
    {
        if (_segmentAllocated[segment]) return _segmentMemory[segment];
        var length = _segmentLengths[segment];
        var block = _segmentBlocks[segment];
        Memory<byte> memory;
        if (block >= 0)
            memory = (_blocks[block] ??= GC.AllocateUninitializedArray<byte>(_blockSizes[block])).AsMemory(_segmentOffsets[segment], length);
        else
        {
            // Segments arrive in order: the one before is complete (it may describe this one).
            memory = _targets is null ? default
                : _targets.TargetFor(segment > 0 ? MemoryOf(segment - 1).Span : default, length, _frameLength + 4 - _received);
            if (memory.Length != length) memory = GC.AllocateUninitializedArray<byte>(length);
        }
        _segmentMemory[segment] = memory;
        _segmentAllocated[segment] = true;
        return memory;
    }

    private bool CopySegments(ref ReadOnlySequence<byte> buffer)
    {
        while (_segmentIndex < _segmentLengths.Length)
        {
            var missing = _segmentLengths[_segmentIndex] - _segmentFilled;
            if (missing > 0)
            {
                if (buffer.IsEmpty) return false;
                var n = (int)Math.Min(missing, buffer.Length);
                buffer.Slice(0, n).CopyTo(MemoryOf(_segmentIndex).Span.Slice(_segmentFilled, n));
                buffer = buffer.Slice(n);
                _segmentFilled += n;
                _received += n;
                if (n < missing) return false;
            }
            _segmentIndex++;
            _segmentFilled = 0;
        }
        return true;
    }

    private DecodedFrame Complete()
    {
        var segments = new Segment[_segmentLengths.Length];
        for (var i = 0; i < segments.Length; i++)
            segments[i] = _segmentLengths[i] == 0
                ? new Segment(ReadOnlyMemory<byte>.Empty)
                : new Segment(MemoryOf(i));
        var frame = new DecodedFrame(_batch!.Messages, segments, _frameLength + 4);
        _batch = null;
        _segmentMemory = [];
        _segmentAllocated = [];
        _blocks = [];
        _state = State.Header;
        _received = 0;
        return frame;
    }
}

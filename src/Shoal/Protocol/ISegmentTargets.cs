namespace Shoal.Protocol;

/// <summary>
/// Lets a <see cref="FrameDecoder"/> receive a big segment into memory that someone else chose
/// (the array the value will be) instead of a fresh byte array. Not thread-safe: one per decoder.
/// </summary>
internal interface ISegmentTargets
{
    /// <summary>A new frame starts (forget what the last one left).</summary>
    void FrameStarted();

    /// <summary>
    /// The first byte of a segment of <paramref name="length"/> bytes is about to arrive;
    /// <paramref name="previous"/> is the whole segment before it (empty for the first), and
    /// <paramref name="frameBytesLeft"/> what remains of the frame, this segment included (a bound
    /// on what may be allocated for it). Returns exactly <paramref name="length"/> bytes to
    /// receive into, or empty memory to let the decoder allocate.
    /// </summary>
    Memory<byte> TargetFor(ReadOnlySpan<byte> previous, int length, long frameBytesLeft);
}

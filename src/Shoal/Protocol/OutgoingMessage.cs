using Shoal.Protocol.Messages;

namespace Shoal.Protocol;

/// <summary>
/// A queued message: the envelope (never modified by the writer) and the range of its payload
/// segments in the writer's segment list.
/// </summary>
/// <param name="Envelope">The message.</param>
/// <param name="SegmentStart">Index of its first segment in the shared segment list.</param>
/// <param name="SegmentCount">How many segments it has.</param>
internal readonly record struct OutgoingMessage(Envelope Envelope, int SegmentStart, int SegmentCount);

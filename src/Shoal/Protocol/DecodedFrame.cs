using Google.Protobuf.Collections;
using Shoal.Protocol.Messages;

namespace Shoal.Protocol;

/// <summary>One received frame: its messages and the payload segments they point at.</summary>
/// <param name="Messages">The messages, in order; each one's segment range was checked.</param>
/// <param name="Segments">The frame's segments.</param>
/// <param name="Length">The frame's length on the wire, header included.</param>
internal sealed record DecodedFrame(RepeatedField<Envelope> Messages, Segment[] Segments, long Length);

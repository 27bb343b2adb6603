using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Shoal.Util;

/// <summary>
/// How the story rings name a key: a 64-bit XxHash3 of its characters. Holding the key string in
/// a ring that lives for the process would keep every recent key alive and, as each key is a young
/// object referenced from an old array, make every gen0 collection scan the ring; a hash keeps the
/// ring free of references to young objects. Two keys sharing a 64-bit hash among the latest
/// 100,000 transitions is not a practical concern.
/// </summary>
internal static class StoryKeyHash
{
    public static ulong Of(string key) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(key.AsSpan()));
}

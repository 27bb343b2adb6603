using System.Security.Cryptography;

namespace Shoal.Code;

/// <summary>Content hashes of code blobs: SHA-256, written as 64 lowercase hex digits.</summary>
internal static class CodeHash
{
    /// <summary>The hash of <paramref name="bytes"/>, as lowercase hex.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => ToHex(SHA256.HashData(bytes));

    /// <summary>Lowercase hex of a raw hash (as carried in protobuf <c>bytes</c> fields).</summary>
    public static string ToHex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);

    /// <summary>The raw 32 bytes of a hex hash.</summary>
    public static byte[] ToBytes(string hex) => Convert.FromHexString(hex);

    /// <summary>True if <paramref name="hash"/> looks like a SHA-256 hex string.</summary>
    public static bool IsValid(string? hash) =>
        hash is { Length: 64 } && hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}

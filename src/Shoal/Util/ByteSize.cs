namespace Shoal.Util;

/// <summary>
/// Byte sizes in human form, with Dask's semantics: "6GB", "6 GB", "6GiB", "512MiB", "8e9",
/// "100", "1.5kB", "0". Decimal units are powers of 1000 (kB, MB, GB, TB, PB), binary units
/// powers of 1024 (KiB, MiB, GiB, TiB, PiB); units are case-insensitive and the trailing "B"
/// may be left out ("6G", "512Mi"). A bare number is a count of bytes.
/// </summary>
/// <remarks>
/// Unlike Dask's <c>memory_limit</c>, a fraction such as "0.5" is not taken to mean "half of
/// the machine's memory": a bare number must be a whole count of bytes, so that a size never
/// silently depends on the machine it is read on.
/// </remarks>
internal static class ByteSize
{
    private static readonly Dictionary<string, long> Multipliers = new(StringComparer.OrdinalIgnoreCase)
    {
        [""] = 1, ["b"] = 1, ["byte"] = 1, ["bytes"] = 1,
        ["k"] = 1_000, ["kb"] = 1_000,
        ["m"] = 1_000_000, ["mb"] = 1_000_000,
        ["g"] = 1_000_000_000, ["gb"] = 1_000_000_000,
        ["t"] = 1_000_000_000_000, ["tb"] = 1_000_000_000_000,
        ["p"] = 1_000_000_000_000_000, ["pb"] = 1_000_000_000_000_000,
        ["ki"] = 1L << 10, ["kib"] = 1L << 10,
        ["mi"] = 1L << 20, ["mib"] = 1L << 20,
        ["gi"] = 1L << 30, ["gib"] = 1L << 30,
        ["ti"] = 1L << 40, ["tib"] = 1L << 40,
        ["pi"] = 1L << 50, ["pib"] = 1L << 50,
    };

    /// <summary>Units tried by <see cref="Format"/>, largest first, binary before decimal.</summary>
    private static readonly (string Name, long Bytes)[] FormatUnits =
    [
        ("PiB", 1L << 50), ("PB", 1_000_000_000_000_000), ("TiB", 1L << 40), ("TB", 1_000_000_000_000),
        ("GiB", 1L << 30), ("GB", 1_000_000_000), ("MiB", 1L << 20), ("MB", 1_000_000),
        ("KiB", 1L << 10), ("kB", 1_000),
    ];

    /// <summary>
    /// Parses a byte size. Throws <see cref="FormatException"/> (quoting the input and saying
    /// what is wrong) when it is empty, negative, has an unknown unit, is a fraction of a byte
    /// or does not fit in a <see cref="long"/>.
    /// </summary>
    /// <param name="text">The size, e.g. "6GB" or "512MiB".</param>
    /// <returns>The number of bytes.</returns>
    public static long Parse(string text)
    {
        if (TryParse(text, out var bytes, out var error))
        {
            return bytes;
        }

        throw new FormatException($"'{text}' is not a byte size: {error}");
    }

    /// <summary>Parses a byte size; returns false instead of throwing when it is malformed.</summary>
    /// <param name="text">The size, e.g. "6GB" or "512MiB".</param>
    /// <param name="bytes">The number of bytes, or 0 when parsing failed.</param>
    /// <returns>True when <paramref name="text"/> is a valid size.</returns>
    public static bool TryParse(string? text, out long bytes) => TryParse(text, out bytes, out _);

    /// <summary>
    /// Parses a byte size; on failure <paramref name="error"/> says why, without quoting the
    /// input (for callers that quote it in their own message, like the CLI).
    /// </summary>
    internal static bool TryParse(string? text, out long bytes, out string? error)
    {
        bytes = 0;
        if (!HumanNumber.TrySplit(text, out var number, out var unit, out error))
        {
            return false;
        }

        if (!Multipliers.TryGetValue(unit, out var multiplier))
        {
            error = $"unknown unit '{unit}' (use B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB or PiB)";
            return false;
        }

        if (multiplier == 1 && number != Math.Floor(number))
        {
            error = unit.Length == 0
                ? "a bare number is a count of bytes and must be whole (fractions of the total memory are not sizes; write e.g. '4GB')"
                : "a size must be a whole number of bytes";
            return false;
        }

        var value = Math.Round(number * multiplier);
        if (value >= long.MaxValue)
        {
            error = "it is too large";
            return false;
        }

        bytes = (long)value;
        return true;
    }

    /// <summary>
    /// Formats a byte count for people: exact in the largest unit that divides it ("6 GB",
    /// "512 MiB"), otherwise in binary units with two decimals ("1.18 MiB"); under 1 KiB in
    /// bytes ("100 B"). Whole results parse back to the same count with <see cref="Parse"/>.
    /// </summary>
    /// <param name="bytes">The number of bytes; negative counts are formatted with a sign.</param>
    /// <returns>The formatted size.</returns>
    public static string Format(long bytes)
    {
        if (bytes < 0)
        {
            return bytes == long.MinValue ? $"{bytes} B" : "-" + Format(-bytes);
        }

        foreach (var (name, size) in FormatUnits)
        {
            if (bytes >= size && bytes % size == 0)
            {
                return $"{bytes / size} {name}";
            }
        }

        foreach (var (name, size) in FormatUnits)
        {
            if (bytes >= size && name.EndsWith("iB", StringComparison.Ordinal))
            {
                return $"{HumanNumber.Compact((double)bytes / size)} {name}";
            }
        }

        return $"{bytes} B";
    }
}

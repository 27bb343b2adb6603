using System.Globalization;

namespace Shoal.Util;

/// <summary>
/// Abstract worker resources as written on a command line: "GPU=1,MEM=8e9". Items are
/// separated by commas or blanks; each is NAME=AMOUNT where the amount is a non-negative
/// number or, for memory-like resources, a byte size such as "8GB" (stored as bytes).
/// Names are case-sensitive, as in Dask, and must not repeat.
/// </summary>
internal static class ResourceSpec
{
    private static readonly char[] Separators = [',', ' ', '\t'];

    /// <summary>
    /// Parses a resource spec. Throws <see cref="FormatException"/>, quoting the input and the
    /// offending item, when an item lacks "=", has an empty name, repeats a name or has an
    /// amount that is neither a number nor a byte size. An empty spec gives an empty map.
    /// </summary>
    /// <param name="text">The spec, e.g. "GPU=1,MEM=8e9" or "GPU=2 MEM=16GB".</param>
    /// <returns>Resource name to amount.</returns>
    public static IReadOnlyDictionary<string, double> Parse(string text)
    {
        if (TryParse(text, out var resources, out var error))
        {
            return resources;
        }

        throw new FormatException($"'{text}' is not a resource spec: {error}");
    }

    /// <summary>Parses a resource spec; returns false instead of throwing when it is malformed.</summary>
    /// <param name="text">The spec, e.g. "GPU=1,MEM=8e9".</param>
    /// <param name="resources">Resource name to amount, or an empty map when parsing failed.</param>
    /// <returns>True when <paramref name="text"/> is a valid spec.</returns>
    public static bool TryParse(string? text, out IReadOnlyDictionary<string, double> resources) =>
        TryParse(text, out resources, out _);

    /// <summary>
    /// Parses a resource spec; on failure <paramref name="error"/> says why, without quoting
    /// the whole input.
    /// </summary>
    internal static bool TryParse(string? text, out IReadOnlyDictionary<string, double> resources, out string? error)
    {
        var parsed = new Dictionary<string, double>(StringComparer.Ordinal);
        resources = parsed;
        error = null;
        if (text is null)
        {
            error = "it is missing";
            return false;
        }

        foreach (var item in text.Split(Separators, StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                error = $"item '{item}' is not NAME=AMOUNT";
                return false;
            }

            var name = item[..equals];
            var amountText = item[(equals + 1)..];
            if (name.Length == 0)
            {
                error = $"item '{item}' has no resource name";
                return false;
            }

            if (!TryParseAmount(amountText, out var amount, out var amountError))
            {
                error = $"the amount of {name}, '{amountText}', {amountError}";
                return false;
            }

            if (!parsed.TryAdd(name, amount))
            {
                error = $"resource {name} is given twice";
                return false;
            }
        }

        return true;
    }

    private static bool TryParseAmount(string text, out double amount, out string? error)
    {
        error = null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out amount)
            && double.IsFinite(amount))
        {
            if (amount >= 0)
            {
                return true;
            }

            error = "must not be negative";
            return false;
        }

        // Not a plain number: a byte size ("8GB") is accepted so that MEM=8GB reads naturally.
        if (ByteSize.TryParse(text, out var bytes, out _))
        {
            amount = bytes;
            return true;
        }

        error = "is neither a number nor a byte size";
        return false;
    }
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Shoal.Util;

/// <summary>
/// Splits a human-written quantity such as "6 GB", "1.5kB", "8e9" or "500ms" into its number
/// and its unit. Shared by <see cref="ByteSize"/> and <see cref="Duration"/> so that both accept
/// the same number syntax (invariant culture, optional exponent, optional blank before the unit).
/// </summary>
internal static partial class HumanNumber
{
    [GeneratedRegex(@"^(?<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(?<unit>[A-Za-zµ]*)$",
        RegexOptions.CultureInvariant)]
    private static partial Regex QuantityPattern();

    /// <summary>
    /// Splits <paramref name="text"/>; on failure <paramref name="error"/> says why, without
    /// repeating the input (callers quote it themselves).
    /// </summary>
    public static bool TrySplit(string? text, out double number, out string unit, out string? error)
    {
        number = 0;
        unit = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "it is empty";
            return false;
        }

        var match = QuantityPattern().Match(text.Trim());
        if (!match.Success)
        {
            error = "expected a number followed by an optional unit";
            return false;
        }

        number = double.Parse(match.Groups["num"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        unit = match.Groups["unit"].Value;
        if (double.IsInfinity(number) || double.IsNaN(number))
        {
            error = "the number is too large";
            return false;
        }

        if (number < 0)
        {
            error = "it must not be negative";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Formats a number without trailing zeros and with at most two decimals.</summary>
    public static string Compact(double value) =>
        Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);
}

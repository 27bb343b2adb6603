using Shoal.Arrays;

namespace Shoal.Array.Tests;

internal static class Expect
{
    /// <summary>Same shape, and every element equal within a relative tolerance (NaN equals NaN).</summary>
    public static void Close<T>(Dense<T> actual, Ref expected, double tolerance = 1e-12, string? what = null) where T : unmanaged
    {
        actual.Shape.ShouldBe(expected.Shape, $"shape of {what}");
        var values = actual.Data.Select(v => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            var a = values[i];
            var e = expected.Data[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (a == e) continue;
            Math.Abs(a - e).ShouldBeLessThanOrEqualTo(tolerance * Math.Max(1, Math.Abs(e)), $"{what}: element {i} is {a}, expected {e}");
        }
    }
}

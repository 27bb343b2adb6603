namespace Shoal.Bench;

/// <summary>Medians and summaries shaped like the Dask scripts' (statistics.median, rounded).</summary>
internal static class BenchStats
{
    public static double Median(IReadOnlyList<double> xs)
    {
        var sorted = xs.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary><c>{"median", "min", "max", "n"}</c> as startup.py prints it.</summary>
    public static Dictionary<string, object> Summary(IReadOnlyList<double> xs) => new()
    {
        ["median"] = Math.Round(Median(xs), 6),
        ["min"] = Math.Round(xs.Min(), 6),
        ["max"] = Math.Round(xs.Max(), 6),
        ["n"] = xs.Count,
    };

    /// <summary>The version of Shoal the benchmark ran against.</summary>
    public static string ShoalVersion => typeof(Client).Assembly.GetName().Version?.ToString(3) ?? "unknown";
}

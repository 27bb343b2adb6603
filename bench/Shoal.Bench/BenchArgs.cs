using System.Globalization;

namespace Shoal.Bench;

/// <summary>
/// argparse-like flags as the Dask scripts take them: <c>--name v</c>, <c>--name=v</c>, and
/// <c>--name v1 v2 ...</c> (every value up to the next flag). Unknown flags are ignored, so that
/// bench/run can pass both sides the same arguments.
/// </summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public BenchArgs(string[] args)
    {
        List<string>? current = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2 && !double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                var eq = arg.IndexOf('=');
                var name = eq > 0 ? arg[2..eq] : arg[2..];
                current = _values[name] = [];
                if (eq > 0) current.Add(arg[(eq + 1)..]);
            }
            else
            {
                current?.Add(arg);
            }
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public IReadOnlyList<string> List(string name, params string[] fallback) =>
        _values.TryGetValue(name, out var v) && v.Count > 0 ? v : fallback;

    public string? Value(string name) => _values.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;

    public int Int(string name, int fallback) => Value(name) is { } v ? ParseCount(v) : fallback;

    /// <summary>Counts may be written as 1e8 or 100000.</summary>
    public static int ParseCount(string text) => checked((int)ParseLong(text));

    public static long ParseLong(string text) => (long)double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}

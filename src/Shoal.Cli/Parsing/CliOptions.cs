using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Shoal.Util;

namespace Shoal.Cli.Parsing;

/// <summary>
/// Builds the typed options the commands share. Each parses its own value so that a bad value
/// becomes one parse error worded "invalid --name 'value': reason", which the entry point
/// prints as a single line.
/// </summary>
internal static class CliOptions
{
    /// <summary>A whole number of at least <paramref name="min"/>.</summary>
    public static Option<int> Count(string name, string description, int min, Func<int> defaultValue) =>
        new(name)
        {
            Description = description,
            HelpName = "N",
            DefaultValueFactory = _ => defaultValue(),
            CustomParser = result => ParseWith(result, name, defaultValue(), (string text, out int value, out string? error) =>
            {
                error = null;
                if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
                {
                    error = "not a whole number";
                }
                else if (value < min)
                {
                    error = $"must be at least {min}";
                }

                return error is null;
            }),
        };

    /// <summary>
    /// A whole number of at least <paramref name="min"/>, or <c>auto</c> (a null count): one per processor this
    /// process may use, which in a container is its CPU limit (the runtime reads the cgroup quota).
    /// </summary>
    public static Option<CountSetting> CountOrAuto(string name, string description, int min, int defaultValue) =>
        new(name)
        {
            Description = description,
            HelpName = "N|auto",
            DefaultValueFactory = _ => new CountSetting(defaultValue),
            CustomParser = result => ParseWith(result, name, new CountSetting(defaultValue), (string text, out CountSetting value, out string? error) =>
            {
                value = new CountSetting(null);
                error = null;
                if (text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return true;
                if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)) error = "not a whole number nor 'auto'";
                else if (parsed < min) error = $"must be at least {min}";
                else value = new CountSetting(parsed);
                return error is null;
            }),
        };

    /// <summary>A parsed count, null meaning "auto" (a wrapper for the reason <see cref="SizeSetting"/> is one).</summary>
    public readonly record struct CountSetting(int? Count)
    {
        /// <summary>As a user writes it (and help shows the default): the number, or "auto".</summary>
        public override string ToString() => Count?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "auto";
    }

    /// <summary>An optional whole number of at least <paramref name="min"/>; absent means null.</summary>
    public static Option<int?> OptionalCount(string name, string description, int min) =>
        new(name)
        {
            Description = description,
            HelpName = "N",
            CustomParser = result => ParseWith<int?>(result, name, null, (string text, out int? value, out string? error) =>
            {
                value = null;
                error = null;
                if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
                {
                    error = "not a whole number";
                }
                else if (parsed < min)
                {
                    error = $"must be at least {min}";
                }
                else
                {
                    value = parsed;
                }

                return error is null;
            }),
        };

    /// <summary>A fraction from 0 to 1 (e.g. 0.6, or 60%).</summary>
    public static Option<double> Fraction(string name, string description, double defaultValue) =>
        new(name)
        {
            Description = description,
            HelpName = "FRACTION",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseWith(result, name, defaultValue, (string text, out double value, out string? error) =>
            {
                error = null;
                var percent = text.EndsWith('%');
                if (!double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
                {
                    error = "not a number";
                    return false;
                }

                if (percent) value /= 100;
                if (value is < 0 or > 1) error = "must be between 0 and 1";
                return error is null;
            }),
        };

    /// <summary>A TCP port, 0 meaning "any free port".</summary>
    public static Option<int> Port(string name, string description, int defaultValue) =>
        new(name)
        {
            Description = description,
            HelpName = "PORT",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseWith(result, name, defaultValue, TryParsePort),
        };

    /// <summary>An optional TCP port; absent means null.</summary>
    public static Option<int?> OptionalPort(string name, string description) =>
        new(name)
        {
            Description = description,
            HelpName = "PORT",
            CustomParser = result => ParseWith<int?>(result, name, null, (string text, out int? value, out string? error) =>
            {
                var ok = TryParsePort(text, out var port, out error);
                value = ok ? port : null;
                return ok;
            }),
        };

    /// <summary>A dashboard address: HOST:PORT or :PORT.</summary>
    public static Option<string?> DashboardAddress(string name, string description, string? defaultValue) =>
        new(name)
        {
            Description = description,
            HelpName = "[HOST]:PORT",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseWith(result, name, defaultValue, (string text, out string? value, out string? error) =>
            {
                value = text.Trim();
                return Dashboard.DashboardAddress.TryParse(value, out _, out error);
            }),
        };

    /// <summary>A host name or IP address to listen on.</summary>
    public static Option<string?> Host(string name, string description, string? defaultValue) =>
        new(name)
        {
            Description = description,
            HelpName = "HOST",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseWith(result, name, defaultValue, (string text, out string? value, out string? error) =>
            {
                value = text.Trim();
                var bare = value.StartsWith('[') && value.EndsWith(']') ? value[1..^1] : value;
                error = Uri.CheckHostName(bare) == UriHostNameType.Unknown
                    ? "not a host name or IP address (give the host alone, without scheme or port)"
                    : null;
                value = bare;
                return error is null;
            }),
        };

    /// <summary>A byte size such as 6GB; "auto" or absent means the default rule (null bytes).</summary>
    public static Option<SizeSetting> Size(string name, string description) =>
        new(name)
        {
            Description = description,
            HelpName = "SIZE",
            CustomParser = result => ParseWith<SizeSetting>(result, name, default, (string text, out SizeSetting value, out string? error) =>
            {
                value = default;
                error = null;
                if (text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }

                var ok = ByteSize.TryParse(text, out var bytes, out error);
                value = new SizeSetting(ok ? bytes : null);
                return ok;
            }),
        };

    /// <summary>A duration such as 60s; absent means null.</summary>
    public static Option<TimeSpan?> Duration(string name, string description) =>
        new(name)
        {
            Description = description,
            HelpName = "DURATION",
            CustomParser = result => ParseWith<TimeSpan?>(result, name, null, (string text, out TimeSpan? value, out string? error) =>
            {
                var ok = Util.Duration.TryParse(text, out var duration, out error);
                value = ok ? duration : null;
                return ok;
            }),
        };

    /// <summary>Abstract resources such as GPU=1,MEM=8e9; absent means none.</summary>
    public static Option<IReadOnlyDictionary<string, double>> Resources(string name, string description) =>
        new(name)
        {
            Description = description,
            HelpName = "NAME=AMOUNT,...",
            DefaultValueFactory = _ => new Dictionary<string, double>(),
            CustomParser = result => ParseWith<IReadOnlyDictionary<string, double>>(
                result, name, new Dictionary<string, double>(), ResourceSpec.TryParse),
        };

    /// <summary>The address of a scheduler to join, normalised to tcp://host:port or tls://host:port.</summary>
    public static Argument<string> SchedulerAddress(string name, string description) =>
        new(name)
        {
            Description = description,
            CustomParser = result => ParseWith(result, "address", "", SchedulerAddressSyntax.TryNormalize),
        };

    /// <summary>
    /// A parsed size, null meaning "auto". A wrapper because System.CommandLine 3.0 cannot
    /// convert a null returned by a custom parser into a nullable value type.
    /// </summary>
    public readonly record struct SizeSetting(long? Bytes);

    private delegate bool TryParseValue<T>(string text, out T value, out string? error);

    /// <summary>
    /// Runs <paramref name="tryParse"/> on the single token of <paramref name="result"/>; on
    /// failure records one parse error naming the option and quoting the value.
    /// </summary>
    private static T ParseWith<T>(ArgumentResult result, string name, T fallback, TryParseValue<T> tryParse)
    {
        if (result.Tokens.Count == 0)
        {
            return fallback;
        }

        var text = result.Tokens[0].Value;
        if (tryParse(text, out var value, out var error))
        {
            return value;
        }

        result.AddError($"invalid {name} '{text}': {error}");
        return fallback;
    }

    private static bool TryParsePort(string text, out int port, out string? error)
    {
        error = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535
            ? null
            : "not a port (0-65535; 0 picks a free port)";
        return error is null;
    }
}

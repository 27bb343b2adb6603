using System.Collections;
using System.CommandLine;
using Microsoft.Extensions.Configuration;

namespace Shoal.Cli.Parsing;

/// <summary>
/// Configuration of every <c>shoal</c> command beside its flags, as Dask's config does: a YAML or JSON file
/// (<c>--config FILE</c>, or the file <c>SHOAL_CONFIG</c> names) and <c>SHOAL_</c>-prefixed environment variables,
/// read with Microsoft.Extensions.Configuration. Keys are the command's path and the option's name:
/// <c>worker: { nthreads: 2 }</c> in the file, <c>SHOAL_WORKER__NTHREADS=2</c> in the environment (<c>__</c> separates
/// sections; <c>_</c> may stand for <c>-</c> in an option's name), <c>flows: { runs: { db: … } }</c> for a subcommand. A
/// positional argument is keyed by its name (<c>worker: { address: tcp://… }</c>). Flags win over the environment,
/// which wins over the file: a value is used only where the command line gives none, by adding it to the arguments
/// before they are parsed again (so values from configuration are checked exactly as typed ones).
/// </summary>
internal static class CommandConfiguration
{
    /// <summary>The option every command takes.</summary>
    public static Option<string?> ConfigOption() => new("--config")
    {
        Description = "A YAML or JSON file of settings for this command (flags and SHOAL_ environment variables win over it)",
        HelpName = "FILE",
        Recursive = true,
    };

    /// <summary>
    /// The arguments with the configured values the command line lacks added; <paramref name="error"/> says why the
    /// configuration could not be read (a missing or malformed file).
    /// </summary>
    public static string[] Apply(string[] commandLine, ParseResult parse, Option<string?> configOption, IReadOnlyDictionary<string, string>? environment, out string? error)
    {
        error = null;
        var args = commandLine.ToList();
        var variables = environment ?? ProcessEnvironment();
        var file = parse.GetResult(configOption) is { Implicit: false } ? parse.GetValue(configOption) : variables.GetValueOrDefault("SHOAL_CONFIG");
        IConfiguration configuration;
        try
        {
            configuration = Build(file, variables);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or FormatException or IOException
                                      or YamlDotNet.Core.YamlException or System.Text.Json.JsonException)
        {
            error = $"cannot read the configuration file {file}: {CliContext.OneLine(e.Message)}";
            return [.. args];
        }

        if (UnknownKey(file, parse) is { } unknown)
        {
            error = $"the configuration file {file}: {unknown}";
            return [.. args];
        }

        var command = parse.CommandResult.Command;
        var section = configuration.GetSection(SectionPath(parse));
        if (!section.Exists()) return [.. args];
        foreach (var option in command.Options)
        {
            if (option == configOption || option.Name is "--help" or "--version" || parse.GetResult(option) is { Implicit: false }) continue;
            var values = ValuesOf(section, option.Name.TrimStart('-'));
            foreach (var value in values) args.AddRange([option.Name, value]);
        }

        if (command.Arguments.All(a => parse.GetResult(a) is not { Tokens.Count: > 0 }))
        {
            // Right after the command's name: an option of many values before it would take them as its own.
            var at = AfterCommandName(args, SectionPath(parse).Split(ConfigurationPath.KeyDelimiter));
            args.InsertRange(at, command.Arguments.SelectMany(a => ValuesOf(section, a.Name)));
        }

        return [.. args];
    }

    /// <summary>
    /// What in the file names nothing, said in words: a top-level key that is not a command, or a key in this
    /// command's section that is none of its options, arguments or subcommands. A misspelt or unnested key would
    /// otherwise be ignored without a word (only the file is checked: the environment holds other SHOAL_ variables).
    /// </summary>
    private static string? UnknownKey(string? file, ParseResult parse)
    {
        if (string.IsNullOrEmpty(file)) return null;
        var fileOnly = Build(file, new Dictionary<string, string>());
        var root = parse.RootCommandResult.Command;
        foreach (var top in fileOnly.GetChildren())
        {
            if (!root.Subcommands.Any(c => c.Name.Equals(top.Key, StringComparison.OrdinalIgnoreCase)))
                return $"'{top.Key}' is not a shoal command (keys go under the command they configure, e.g. local: {{ port: 8786 }})";
        }

        var command = parse.CommandResult.Command;
        var path = SectionPath(parse);
        var known = command.Options.Select(o => o.Name.TrimStart('-'))
            .Concat(command.Options.Select(o => o.Name.TrimStart('-').Replace('-', '_')))
            .Concat(command.Arguments.Select(a => a.Name))
            .Concat(command.Subcommands.Select(c => c.Name))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var key in fileOnly.GetSection(path).GetChildren())
        {
            if (!known.Contains(key.Key))
                return $"'{key.Key}' under {path.Replace(ConfigurationPath.KeyDelimiter, ": ", StringComparison.Ordinal)} is not an option of shoal {path.Replace(ConfigurationPath.KeyDelimiter, " ", StringComparison.Ordinal)}";
        }

        return null;
    }

    private static int AfterCommandName(List<string> args, string[] path)
    {
        var at = 0;
        foreach (var name in path)
        {
            var found = args.IndexOf(name, at);
            if (found < 0) break;
            at = found + 1;
        }

        return at;
    }

    /// <summary>The file first, then the environment over it (Microsoft.Extensions.Configuration: later sources win).</summary>
    private static IConfiguration Build(string? file, IReadOnlyDictionary<string, string> variables)
    {
        var builder = new ConfigurationBuilder();
        if (!string.IsNullOrEmpty(file))
        {
            var path = Path.GetFullPath(file);
            if (!File.Exists(path)) throw new FileNotFoundException("no such file", path);
            if (Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml") builder.AddYamlFile(path, optional: false, reloadOnChange: false);
            else builder.AddJsonFile(path, optional: false, reloadOnChange: false);
        }

        // What EnvironmentVariablesConfigurationProvider does with a prefix, from a dictionary the tests can give
        // (the provider reads only the process's environment).
        builder.AddInMemoryCollection(variables
            .Where(v => v.Key.StartsWith("SHOAL_", StringComparison.OrdinalIgnoreCase))
            .Select(v => new KeyValuePair<string, string?>(v.Key["SHOAL_".Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal), v.Value)));
        return builder.Build();
    }

    /// <summary>"worker", "flows:runs": the command's path below <c>shoal</c>.</summary>
    private static string SectionPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = (System.CommandLine.Parsing.SymbolResult?)parse.CommandResult; result is System.CommandLine.Parsing.CommandResult command && command.Parent is not null; result = result.Parent)
            names.Insert(0, command.Command.Name);
        return string.Join(ConfigurationPath.KeyDelimiter, names);
    }

    /// <summary>A key's value, or its list's values; the key also as written with <c>_</c> for <c>-</c> (environment variables).</summary>
    private static IEnumerable<string> ValuesOf(IConfigurationSection section, string name)
    {
        foreach (var key in name.Contains('-', StringComparison.Ordinal) ? new[] { name, name.Replace('-', '_') } : [name])
        {
            var entry = section.GetSection(key);
            if (entry.Value is { } single) return [single];
            var items = entry.GetChildren().Select(c => c.Value).OfType<string>().ToArray();
            if (items.Length > 0) return items;
        }

        return [];
    }

    private static Dictionary<string, string> ProcessEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            if (entry.Key is string key && entry.Value is string value) variables[key] = value;
        return variables;
    }
}

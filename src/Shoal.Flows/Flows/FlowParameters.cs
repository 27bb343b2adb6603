using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Shoal.Flows;

/// <summary>
/// Typed parameters from JSON or a command line, checked before anything runs: each error names
/// the parameter and the flow. System.Text.Json does the conversion; this only decides which
/// error to give.
/// </summary>
internal static class FlowParameters
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static TParams FromJson<TParams>(string flow, string json) where TParams : class
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json) as JsonObject
                ?? throw new FlowParameterException($"flow '{flow}': parameters must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new FlowParameterException($"flow '{flow}': parameters are not valid JSON: {ex.Message}", ex);
        }

        return FromObject<TParams>(flow, obj);
    }

    public static TParams FromArguments<TParams>(string flow, IReadOnlyList<string> args) where TParams : class
    {
        var obj = new JsonObject();
        var properties = Parameters(typeof(TParams));
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new FlowParameterException($"flow '{flow}': expected --name value, got '{arg}'");
            var name = arg[2..];
            string value;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else
            {
                if (i + 1 >= args.Count) throw new FlowParameterException($"flow '{flow}': parameter '{name}' has no value");
                value = args[++i];
            }

            var property = Find(properties, name) ?? throw Unknown(flow, name, properties);
            obj[property.Name] = ParseValue(value, property.Type);
        }

        return FromObject<TParams>(flow, obj);
    }

    /// <summary>A command-line value: JSON when it parses as JSON, else a string (so <c>--name Ada</c> needs no quotes).</summary>
    private static JsonNode? ParseValue(string value, Type type)
    {
        if (type == typeof(string)) return JsonValue.Create(value);
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException)
        {
            return JsonValue.Create(value);
        }
    }

    private static TParams FromObject<TParams>(string flow, JsonObject obj) where TParams : class
    {
        var properties = Parameters(typeof(TParams));
        foreach (var (name, node) in obj)
        {
            var property = Find(properties, name) ?? throw Unknown(flow, name, properties);
            try
            {
                node.Deserialize(property.Type, Json);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
            {
                throw new FlowParameterException($"flow '{flow}': parameter '{property.Name}' must be {Describe(property.Type)}, got {node?.ToJsonString() ?? "null"}", ex);
            }
        }

        var missing = properties.Where(p => p.Required && !obj.Any(kv => Matches(p, kv.Key))).Select(p => p.Name).ToList();
        if (missing.Count > 0)
            throw new FlowParameterException($"flow '{flow}': missing required parameter{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}");
        TParams parameters;
        try
        {
            parameters = obj.Deserialize<TParams>(Json) ?? throw new FlowParameterException($"flow '{flow}': parameters are null");
        }
        catch (JsonException ex)
        {
            throw new FlowParameterException($"flow '{flow}': {ex.Message}", ex);
        }

        Validate(flow, parameters);
        return parameters;
    }

    public static void Validate<TParams>(string flow, TParams parameters) where TParams : class
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(parameters, new ValidationContext(parameters), results, validateAllProperties: true))
            throw new FlowParameterException($"flow '{flow}': {string.Join("; ", results.Select(r => r.ErrorMessage))}");
    }

    private static FlowParameterException Unknown(string flow, string name, IReadOnlyList<Parameter> properties) =>
        new($"flow '{flow}': unknown parameter '{name}' (it takes {(properties.Count == 0 ? "none" : string.Join(", ", properties.Select(p => p.Name)))})");

    private static Parameter? Find(IReadOnlyList<Parameter> properties, string name) => properties.FirstOrDefault(p => Matches(p, name));

    private static bool Matches(Parameter p, string name) =>
        string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(p.Name.Replace("-", "", StringComparison.Ordinal), name.Replace("-", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);

    private static string Describe(Type type) =>
        type.IsArray ? $"an array of {Describe(type.GetElementType()!)}" : Nullable.GetUnderlyingType(type) is { } inner ? $"{Describe(inner)} or null" : type.Name;

    internal sealed record Parameter(string Name, Type Type, bool Required);

    /// <summary>The public settable properties; required when marked <c>required</c> or a constructor parameter without a default.</summary>
    internal static IReadOnlyList<Parameter> Parameters(Type type)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        var ctorRequired = constructor?.GetParameters().Where(p => !p.HasDefaultValue).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        return [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite || ctorRequired.Contains(p.Name))
            .Select(p => new Parameter(JsonNamingPolicy.CamelCase.ConvertName(p.Name), p.PropertyType,
                p.GetCustomAttribute<RequiredMemberAttribute>() is not null || ctorRequired.Contains(p.Name)))];
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace Shoal.Tests.Kubernetes.Fake;

/// <summary>
/// What the API server does with a custom object against its CRD's structural schema on every
/// write: fields the schema does not name are pruned (silently: the reason the operator's types
/// must stay within their schemas), and types, required fields, enums, minimums and minimum lengths
/// are checked (422 Invalid). A subset: no formats, patterns, CEL rules or defaults.
/// </summary>
internal static class FakeKubeSchema
{
    /// <summary>Prunes <paramref name="o"/> in place; the first violation as the server words it, or null.</summary>
    public static string? Apply(JsonObject o, JsonObject schema) => Walk(o, schema, "", top: true);

    private static string? Walk(JsonNode? node, JsonObject schema, string path, bool top = false)
    {
        if (node is null) return null;
        var type = schema.Str("type");
        switch (type)
        {
            case "object":
                if (node is not JsonObject obj) return $"{path}: Invalid value: must be of type object";
                if (schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true) return null;
                var properties = schema["properties"] as JsonObject;
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (top && key is "apiVersion" or "kind" or "metadata") continue;
                    var inner = properties?[key] as JsonObject ?? schema["additionalProperties"] as JsonObject;
                    if (inner is null)
                    {
                        obj.Remove(key);
                        continue;
                    }

                    if (Walk(obj[key], inner, Join(path, key)) is { } bad) return bad;
                }

                if (schema["required"] is JsonArray required)
                {
                    foreach (var name in required.Select(n => n!.GetValue<string>()))
                        if (!obj.ContainsKey(name)) return $"{Join(path, name)}: Required value";
                }

                return null;
            case "array":
                if (node is not JsonArray array) return $"{path}: Invalid value: must be of type array";
                if (schema["items"] is JsonObject items)
                {
                    for (int i = 0; i < array.Count; i++)
                        if (Walk(array[i], items, $"{path}[{i}]") is { } bad) return bad;
                }

                return null;
            case "string":
                if (node.GetValueKind() != JsonValueKind.String) return $"{path}: Invalid value: must be of type string";
                var s = node.GetValue<string>();
                if (schema["enum"] is JsonArray allowed && !allowed.Any(a => a?.GetValue<string>() == s))
                    return $"{path}: Unsupported value: \"{s}\": supported values: {string.Join(", ", allowed.Select(a => $"\"{a}\""))}";
                if (schema["minLength"] is JsonValue min && s.Length < min.GetValue<int>()) return $"{path}: Invalid value: should be at least {min} chars long";
                return null;
            case "integer":
                if (node.GetValueKind() != JsonValueKind.Number || !long.TryParse(node.ToJsonString(), out var n)) return $"{path}: Invalid value: must be of type integer";
                if (schema["minimum"] is JsonValue least && n < least.GetValue<long>()) return $"{path}: Invalid value: {n}: should be greater than or equal to {least}";
                return null;
            case "boolean":
                return node.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? null : $"{path}: Invalid value: must be of type boolean";
            default:
                return null;
        }
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}

using System.Globalization;
using System.Text.Json.Nodes;

namespace Shoal.Tests.Kubernetes.Fake;

/// <summary>The API server's JSON rules: merge patches (RFC 7386), label and field selectors, generated names.</summary>
internal static class FakeKubeJson
{
    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789"; // the real server's: no vowels, no look-alikes

    /// <summary>RFC 7386: objects merge key by key, null removes, anything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in p)
        {
            if (value is null) result.Remove(key);
            else result[key] = MergePatch(result[key]?.DeepClone(), value);
        }

        return result;
    }

    public static string RandomSuffix(int length = 5) =>
        string.Create(length, 0, (span, _) => { for (int i = 0; i < span.Length; i++) span[i] = NameAlphabet[Random.Shared.Next(NameAlphabet.Length)]; });

    /// <summary>A stable 10-character hash of a pod template, as the deployment controller's pod-template-hash.</summary>
    public static string TemplateHash(JsonNode? template)
    {
        var hash = System.IO.Hashing.XxHash32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(template?.ToJsonString() ?? ""));
        var chars = new char[10];
        for (int i = 0; i < chars.Length; i++) { chars[i] = NameAlphabet[(int)(hash % (uint)NameAlphabet.Length)]; hash = hash / 7 + (uint)i * 2654435761u; }
        return new string(chars);
    }

    /// <summary>DNS-1123 subdomain, as object names must be.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 253 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.') &&
        char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);

    /// <summary>A label selector (<c>a=b,c!=d,e,!f,g in (x,y),h notin (z)</c>) as a predicate over an object's labels.</summary>
    public static Func<JsonObject, bool> LabelSelector(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector)) return _ => true;
        var terms = new List<Func<IReadOnlyDictionary<string, string>, bool>>();
        foreach (var raw in SplitTopLevel(selector))
        {
            var term = raw.Trim();
            if (term.Contains(" notin ", StringComparison.Ordinal) || term.Contains(" in ", StringComparison.Ordinal))
            {
                bool not = term.Contains(" notin ", StringComparison.Ordinal);
                var parts = term.Split(not ? " notin " : " in ", 2);
                var key = parts[0].Trim();
                var values = parts[1].Trim().TrimStart('(').TrimEnd(')').Split(',').Select(v => v.Trim()).ToHashSet();
                terms.Add(l => l.TryGetValue(key, out var v) ? values.Contains(v) != not : not);
            }
            else if (term.Contains("!=", StringComparison.Ordinal))
            {
                var parts = term.Split("!=", 2);
                terms.Add(l => !l.TryGetValue(parts[0], out var v) || v != parts[1]);
            }
            else if (term.Contains('=', StringComparison.Ordinal))
            {
                var parts = term.Replace("==", "=", StringComparison.Ordinal).Split('=', 2);
                terms.Add(l => l.TryGetValue(parts[0], out var v) && v == parts[1]);
            }
            else if (term.StartsWith('!')) terms.Add(l => !l.ContainsKey(term[1..]));
            else terms.Add(l => l.ContainsKey(term));
        }

        return o =>
        {
            var labels = o["metadata"]?["labels"].StringMap() ?? new Dictionary<string, string>();
            return terms.All(t => t(labels));
        };
    }

    /// <summary>A field selector over the fields the real server supports for every kind (metadata.name, metadata.namespace) and pods' status.phase.</summary>
    public static Func<JsonObject, bool> FieldSelector(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector)) return _ => true;
        var terms = selector.Split(',').Select(t =>
        {
            bool not = t.Contains("!=", StringComparison.Ordinal);
            var parts = t.Replace("!=", "=", StringComparison.Ordinal).Replace("==", "=", StringComparison.Ordinal).Split('=', 2);
            var path = parts[0].Trim().Split('.');
            return (Path: path, Value: parts[1].Trim(), Not: not);
        }).ToList();
        return o => terms.All(t =>
        {
            JsonNode? node = o;
            foreach (var step in t.Path) node = node?[step];
            var value = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
            return (value == t.Value) != t.Not;
        });
    }

    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static IEnumerable<string> SplitTopLevel(string s)
    {
        int depth = 0, start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '(') depth++;
            else if (s[i] == ')') depth--;
            else if (s[i] == ',' && depth == 0) { yield return s[start..i]; start = i + 1; }
        }

        yield return s[start..];
    }
}

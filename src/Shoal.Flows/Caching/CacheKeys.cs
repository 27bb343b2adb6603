using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Shoal.Flows;

/// <summary>A cache key: the task's name and code hash and its inputs' values as JSON, hashed (Prefect's INPUTS + TASK_SOURCE).</summary>
internal static class CacheKeys
{
    public static string For(FlowTask task, IReadOnlyList<(object? Value, Type Type)> inputs)
    {
        var text = new StringBuilder().Append(task.Name).Append('\n').Append(task.CodeHash);
        foreach (var (value, type) in inputs) text.Append('\n').Append(JsonSerializer.Serialize(value, type));
        return $"{Sanitize(task.Name)}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32]}";
    }

    private static string Sanitize(string name) => new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
}

using Shoal.Protocol.Messages;

namespace Shoal.Protocol;

/// <summary>A task's resources as they arrive (<see cref="ResourceAmount"/> entries, a map's wire layout) to the dictionary the state machines keep.</summary>
internal static class ResourceAmounts
{
    /// <summary>The entries as a dictionary; a name given twice keeps its last amount, as a protobuf map does.</summary>
    public static Dictionary<string, double> ToDictionary(IReadOnlyList<ResourceAmount> entries)
    {
        var map = new Dictionary<string, double>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries) map[entry.Name] = entry.Amount;
        return map;
    }
}

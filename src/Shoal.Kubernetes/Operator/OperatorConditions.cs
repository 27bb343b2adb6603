using k8s.Models;

namespace Shoal.Kubernetes.Operator;

/// <summary>Status conditions as Kubernetes API conventions want them: one per type, the transition time kept while the status stays.</summary>
internal static class OperatorConditions
{
    public static IList<V1Condition> Set(IList<V1Condition>? existing, string type, bool status, string reason, string message, long? generation)
    {
        var list = existing?.Where(c => c.Type != type).ToList() ?? [];
        var before = existing?.FirstOrDefault(c => c.Type == type);
        var value = status ? "True" : "False";
        list.Add(new V1Condition
        {
            Type = type, Status = value, Reason = reason, Message = message, ObservedGeneration = generation,
            LastTransitionTime = before is not null && before.Status == value ? before.LastTransitionTime : DateTime.UtcNow,
        });
        return list;
    }
}

namespace Shoal.Serialization;

/// <summary>
/// The dependency values visible to the task running on the current async flow. A future
/// captured by a closure calls <see cref="TryGetValue"/> from its <c>Result</c> on the worker.
/// </summary>
internal static class DependencyScope
{
    private static readonly AsyncLocal<Scope?> Current = new();

    /// <summary>Looks up the value of dependency <paramref name="key"/> of the running task.</summary>
    public static bool TryGetValue(string key, out object? value)
    {
        var scope = Current.Value;
        if (scope is not null && scope.Contains(key))
        {
            value = scope.Lookup(key);
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>True while a task with dependencies runs on this async flow.</summary>
    public static bool IsActive => Current.Value is not null;

    internal static Scope? Enter(IReadOnlyList<string> keys, Func<string, object?> lookup)
    {
        var previous = Current.Value;
        Current.Value = new Scope(keys, lookup);
        return previous;
    }

    internal static void Restore(Scope? previous) => Current.Value = previous;

    internal sealed class Scope(IReadOnlyList<string> keys, Func<string, object?> lookup)
    {
        private HashSet<string>? _set;

        public Func<string, object?> Lookup { get; } = lookup;

        public bool Contains(string key)
        {
            if (keys.Count <= 8)
            {
                for (var i = 0; i < keys.Count; i++)
                    if (keys[i] == key) return true;
                return false;
            }
            _set ??= new HashSet<string>(keys, StringComparer.Ordinal);
            return _set.Contains(key);
        }
    }
}

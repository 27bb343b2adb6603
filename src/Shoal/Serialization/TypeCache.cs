using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Shoal.Serialization;

/// <summary>
/// A per-type cache that does not keep collectible types alive: types from collectible load
/// contexts (shipped client code on a worker) go in a weak table, so a code context can unload.
/// </summary>
internal sealed class TypeCache<TValue>
{
    private readonly ConcurrentDictionary<Type, TValue> _strong = new();
    private readonly ConditionalWeakTable<Type, Box> _weak = new();

    public bool TryGetValue(Type type, out TValue value)
    {
        if (_strong.TryGetValue(type, out value!)) return true;
        if (type.IsCollectible && _weak.TryGetValue(type, out var box))
        {
            value = box.Value;
            return true;
        }
        value = default!;
        return false;
    }

    public TValue GetOrAdd(Type type, Func<Type, TValue> factory) =>
        TryGetValue(type, out var value) ? value : GetOrAdd(type, factory(type));

    public TValue GetOrAdd(Type type, TValue value)
    {
        if (!type.IsCollectible) return _strong.GetOrAdd(type, value);
        return _weak.GetValue(type, _ => new Box(value)).Value;
    }

    private sealed class Box(TValue value)
    {
        public TValue Value { get; } = value;
    }
}

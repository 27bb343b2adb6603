using System.Collections.Concurrent;
using Shoal.Transfer;

namespace Shoal.Execution;

/// <summary>
/// A worker's results, by key. Values are kept as objects (tasks use them directly); the
/// serialized form is made on the first transfer to another process and kept for the next.
/// Read concurrently by the data-plane handlers; written by the worker loop and transfers.
/// </summary>
internal sealed class DataStore
{
    private readonly ConcurrentDictionary<string, StoredValue> _values = new(StringComparer.Ordinal);

    public int Count => _values.Count;

    public void Put(string key, object? value, long nbytes, EncodedValue? encoded = null) =>
        _values[key] = new StoredValue(value, nbytes) { Encoded = encoded };

    public bool TryGet(string key, out StoredValue value) => _values.TryGetValue(key, out value!);

    public bool Contains(string key) => _values.ContainsKey(key);

    public void Remove(string key) => _values.TryRemove(key, out _);

    public IEnumerable<KeyValuePair<string, StoredValue>> Items => _values;

    /// <summary>The value of <paramref name="key"/>, for a task that depends on it.</summary>
    public object? ValueOf(string key) =>
        _values.TryGetValue(key, out var stored) ? stored.Value : throw new KeyNotFoundException($"dependency '{key}' is not in this worker's memory");
}

/// <summary>A value in a worker's store.</summary>
/// <param name="Value">The object.</param>
/// <param name="Nbytes">Its measured size.</param>
internal sealed record StoredValue(object? Value, long Nbytes)
{
    /// <summary>Its serialized form, once some transfer needed it.</summary>
    public EncodedValue? Encoded { get; set; }
}

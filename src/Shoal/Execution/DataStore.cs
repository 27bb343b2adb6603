using System.Collections.Concurrent;
using Shoal.Serialization;
using Shoal.Transfer;

namespace Shoal.Execution;

/// <summary>
/// A worker's results, by key. A value computed here is kept as an object; a value that arrived
/// from another process is kept as bytes and decoded only when a task here uses it (with that
/// task's code context, so user types resolve to the right assembly version), while peers that
/// ask for it get the same bytes back without a round trip through an object.
/// Read concurrently by the data-plane handlers; written by the worker loop and transfers.
/// </summary>
internal sealed class DataStore
{
    private readonly ConcurrentDictionary<string, StoredValue> _values = new(StringComparer.Ordinal);

    public int Count => _values.Count;

    /// <summary>The keys stored (a snapshot).</summary>
    public ICollection<string> Keys => _values.Keys;

    public void PutObject(string key, object? value, long nbytes) => _values[key] = new StoredValue(value, nbytes);

    public void PutEncoded(string key, EncodedValue encoded) => _values[key] = new StoredValue(encoded);

    public bool TryGet(string key, out StoredValue value) => _values.TryGetValue(key, out value!);

    public bool Contains(string key) => _values.ContainsKey(key);

    public void Remove(string key) => _values.TryRemove(key, out _);

    /// <summary>The value of <paramref name="key"/>, for a task that depends on it.</summary>
    public object? ValueOf(string key, TypeResolver resolver) =>
        _values.TryGetValue(key, out var stored)
            ? stored.GetValue(resolver)
            : throw new KeyNotFoundException($"dependency '{key}' is not in this worker's memory");
}

/// <summary>A value in a worker's store: an object, bytes, or both once one was made from the other.</summary>
internal sealed class StoredValue
{
    private readonly object _lock = new();
    private object? _value;
    private bool _hasValue;
    private EncodedValue? _encoded;

    public StoredValue(object? value, long nbytes)
    {
        _value = value;
        _hasValue = true;
        Nbytes = nbytes;
    }

    public StoredValue(EncodedValue encoded)
    {
        _encoded = encoded;
        Nbytes = encoded.Nbytes;
    }

    public long Nbytes { get; }

    public object? GetValue(TypeResolver resolver)
    {
        if (_hasValue) return _value;
        lock (_lock)
        {
            if (!_hasValue)
            {
                _value = Payloads.Decode(_encoded!.Segments, null, resolver);
                _hasValue = true;
            }

            return _value;
        }
    }

    /// <summary>The value as it travels to another process (serialized once, then kept).</summary>
    public EncodedValue GetEncoded()
    {
        if (_encoded is { } encoded) return encoded;
        lock (_lock) return _encoded ??= Payloads.Encode(_value, byReference: false);
    }

    /// <summary>The value for a peer in this process: by reference when we have the object.</summary>
    public EncodedValue GetForInProcess() => _hasValue ? Payloads.Encode(_value, byReference: true) with { Nbytes = Nbytes } : GetEncoded();
}

using System.Collections.Concurrent;
using Shoal.Protocol;
using Shoal.Serialization;
using Shoal.Transfer;

namespace Shoal.Execution;

/// <summary>
/// A worker's results, by key. A value computed here is kept as an object; a value that arrived
/// from another process is kept as bytes and decoded only when a task here uses it (with that
/// task's code context, so user types resolve to the right assembly version), while peers that
/// ask for it get the same bytes back without a round trip through an object.
/// Past <see cref="TargetBytes"/> of values in memory, the least recently used ones spill to
/// files (see <see cref="SpillFiles"/>) and are read back when a task or a peer wants them.
/// Read concurrently by the data-plane handlers; written by the worker loop and transfers.
/// </summary>
internal sealed class DataStore : IDisposable
{
    private readonly ConcurrentDictionary<string, StoredValue> _values = new(StringComparer.Ordinal);
    private readonly object _lru = new();
    private readonly LinkedList<StoredValue> _inMemory = new(); // least recently used first
    private readonly SpillFiles? _spill;
    private long _memoryBytes;
    private long _spilledBytes;

    /// <summary>A store that never spills.</summary>
    public DataStore()
    {
    }

    /// <summary>A store that spills past <paramref name="targetBytes"/> (0: never) into <paramref name="spill"/>.</summary>
    public DataStore(long targetBytes, SpillFiles spill)
    {
        TargetBytes = targetBytes;
        _spill = targetBytes > 0 ? spill : null;
    }

    public int Count => _values.Count;

    /// <summary>
    /// Where small values are also written so that they outlive this process (a worker under a
    /// nanny); null: nowhere, at no cost. Set once, before the first value is stored.
    /// </summary>
    public ResultJournal? Journal { get; set; }

    /// <summary>The keys stored (a snapshot).</summary>
    public ICollection<string> Keys => _values.Keys;

    /// <summary>Bytes of values held in memory past which the least recently used spill (0: never).</summary>
    public long TargetBytes { get; }

    /// <summary>Bytes of the values held in memory.</summary>
    public long MemoryBytes => Interlocked.Read(ref _memoryBytes);

    /// <summary>Bytes of the values spilled to disk.</summary>
    public long SpilledBytes => Interlocked.Read(ref _spilledBytes);

    /// <summary>Number of values written to disk so far (a value spilled twice counts twice).</summary>
    public long SpillCount => Interlocked.Read(ref _spillCount);

    private long _spillCount;

    public void PutObject(string key, object? value, long nbytes) => Put(key, new StoredValue(key, value, nbytes));

    public void PutEncoded(string key, EncodedValue encoded) => Put(key, new StoredValue(key, encoded));

    /// <summary>A value read back from the journal (already in it: not journaled again).</summary>
    public void PutRecovered(string key, EncodedValue encoded) => Put(key, new StoredValue(key, encoded), journal: false);

    /// <summary>
    /// The value of <paramref name="key"/> as it travels to a peer (by reference in-process when
    /// the object is at hand); a spilled value is read from disk for this one transfer.
    /// </summary>
    public bool TryGetForPeer(string key, bool byReference, out EncodedValue encoded)
    {
        encoded = null!;
        if (!_values.TryGetValue(key, out var stored)) return false;
        lock (_lru)
        {
            if (stored.SpillFile is { } file)
            {
                encoded = stored.FromSpilled(_spill!.Read(file));
                return true;
            }

            if (stored.Node.List is null) return false; // removed meanwhile
            _inMemory.Remove(stored.Node);
            _inMemory.AddLast(stored.Node);
            encoded = byReference ? stored.GetForInProcess() : stored.GetEncoded();
            return true;
        }
    }

    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>Forgets <paramref name="key"/>; returns the bytes it held in memory (0 if absent or spilled).</summary>
    public long Remove(string key)
    {
        if (!_values.TryRemove(key, out var stored)) return 0;
        Journal?.Remove(key);
        long released = 0;
        lock (_lru)
        {
            if (stored.Node.List is not null)
            {
                _inMemory.Remove(stored.Node);
                _memoryBytes -= stored.Nbytes;
                released = stored.Nbytes;
            }

            if (stored.SpillFile is { } file)
            {
                _spilledBytes -= stored.Nbytes;
                stored.SpillFile = null;
                _spill?.Delete(file);
            }
        }
        return released;
    }

    /// <summary>The value of <paramref name="key"/>, for a task that depends on it (read back from disk if spilled).</summary>
    public object? ValueOf(string key, TypeResolver resolver)
    {
        if (!_values.TryGetValue(key, out var stored)) throw new KeyNotFoundException($"dependency '{key}' is not in this worker's memory");
        lock (_lru)
        {
            // Under the lock: nothing spills it between reading it back and decoding it.
            Touch(stored);
            return stored.GetValue(resolver);
        }
    }

    /// <summary>Spills every value in memory that can be spilled (memory pressure: the worker paused).</summary>
    public void SpillAll()
    {
        lock (_lru)
        {
            while (_inMemory.First is { } node && SpillLocked(node.Value))
            {
            }
        }
    }

    private void Put(string key, StoredValue stored, bool journal = true)
    {
        if (_values.ContainsKey(key)) Remove(key);
        // Journaled before it is visible: nothing can spill it meanwhile, and its removal comes after.
        if (journal) Journal?.TryAppend(key, stored.Nbytes, stored.GetEncoded);
        _values[key] = stored;
        lock (_lru)
        {
            _inMemory.AddLast(stored.Node);
            _memoryBytes += stored.Nbytes;
            EvictLocked(keep: stored);
        }
    }

    /// <summary>A value is used by a task (caller holds the lock): most recently used now; read back into memory if it was spilled.</summary>
    private void Touch(StoredValue stored)
    {
        if (stored.Node.List is not null)
        {
            _inMemory.Remove(stored.Node);
            _inMemory.AddLast(stored.Node);
            return;
        }

        if (stored.SpillFile is not { } file) throw new KeyNotFoundException($"dependency '{stored.Key}' was removed from this worker");
        stored.Unspill(_spill!.Read(file));
        _spill.Delete(file);
        stored.SpillFile = null;
        _spilledBytes -= stored.Nbytes;
        _inMemory.AddLast(stored.Node);
        _memoryBytes += stored.Nbytes;
        EvictLocked(keep: stored);
    }

    /// <summary>Spills least recently used values until memory is back under target (never <paramref name="keep"/>).</summary>
    private void EvictLocked(StoredValue keep)
    {
        if (_spill is null) return;
        var node = _inMemory.First;
        while (_memoryBytes > TargetBytes && node is not null)
        {
            var next = node.Next;
            if (!ReferenceEquals(node.Value, keep)) SpillLocked(node.Value);
            node = next;
        }
    }

    /// <summary>Writes one value to disk and lets go of it in memory; false when it cannot be spilled.</summary>
    private bool SpillLocked(StoredValue stored)
    {
        if (_spill is null || stored.Unspillable) return false;
        EncodedValue encoded;
        try
        {
            encoded = stored.GetEncoded();
        }
        catch (Exception)
        {
            stored.Unspillable = true; // no serializer for it: it stays in memory
            _inMemory.Remove(stored.Node);
            _inMemory.AddLast(stored.Node);
            return false;
        }

        stored.SpillFile = _spill.Write(encoded);
        stored.DropInMemory();
        _inMemory.Remove(stored.Node);
        _memoryBytes -= stored.Nbytes;
        _spilledBytes += stored.Nbytes;
        _spillCount++;
        return true;
    }

    /// <summary>Deletes the spill directory.</summary>
    public void Dispose()
    {
        _spill?.Dispose();
        Journal?.Dispose();
    }
}

/// <summary>A value in a worker's store: an object, bytes, or both once one was made from the other; or a file when spilled.</summary>
internal sealed class StoredValue
{
    private readonly object _lock = new();
    private object? _value;
    private bool _hasValue;
    private EncodedValue? _encoded;
    private readonly string _typeName;

    public StoredValue(string key, object? value, long nbytes)
    {
        Key = key;
        _value = value;
        _hasValue = true;
        Nbytes = nbytes;
        _typeName = Payloads.TypeNameOf(value);
        Node = new LinkedListNode<StoredValue>(this);
    }

    public StoredValue(string key, EncodedValue encoded)
    {
        Key = key;
        _encoded = encoded;
        Nbytes = encoded.Nbytes;
        _typeName = encoded.TypeName;
        Node = new LinkedListNode<StoredValue>(this);
    }

    public string Key { get; }

    public long Nbytes { get; }

    /// <summary>Its place in the store's recently-used list (detached while spilled).</summary>
    internal LinkedListNode<StoredValue> Node { get; }

    /// <summary>The file it spilled to, or null while in memory.</summary>
    internal string? SpillFile { get; set; }

    /// <summary>It could not be serialized, so it never spills.</summary>
    internal bool Unspillable { get; set; }

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
        lock (_lock) return _encoded ??= Payloads.Encode(_value, byReference: false) with { Nbytes = Nbytes };
    }

    /// <summary>The value for a peer in this process: by reference when we have the object.</summary>
    public EncodedValue GetForInProcess() => _hasValue ? Payloads.Encode(_value, byReference: true) with { Nbytes = Nbytes } : GetEncoded();

    /// <summary>Spilled: nothing of it stays in memory.</summary>
    internal void DropInMemory()
    {
        lock (_lock)
        {
            _value = null;
            _hasValue = false;
            _encoded = null;
        }
    }

    /// <summary>Read back from disk: in memory again, as bytes.</summary>
    internal void Unspill(IReadOnlyList<ReadOnlyMemory<byte>> segments)
    {
        lock (_lock) _encoded = FromSpilled(segments);
    }

    /// <summary>The encoded value from the segments of its spill file.</summary>
    internal EncodedValue FromSpilled(IReadOnlyList<ReadOnlyMemory<byte>> segments) =>
        new(segments.Select(s => new Protocol.Segment(s)).ToArray(), Nbytes, _typeName);
}

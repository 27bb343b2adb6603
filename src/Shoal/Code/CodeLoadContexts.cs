using System.Collections.Concurrent;

namespace Shoal.Code;

/// <summary>
/// One collectible load context per distinct code set, created on first use from a
/// <see cref="CodeStore"/>. Two clients with different builds of the same assembly have
/// different sets, so they get different contexts and both work at once.
/// </summary>
internal sealed class CodeLoadContexts(CodeStore store) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<CodeContext>> _contexts = new(StringComparer.Ordinal);

    /// <summary>The store the assemblies load from.</summary>
    public CodeStore Store { get; } = store;

    /// <summary>Number of contexts created.</summary>
    public int Count => _contexts.Count;

    /// <summary>
    /// The context for a code set (hashes in load order). An empty set is <see cref="CodeContext.Default"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">An assembly of the set is not in the store yet.</exception>
    public CodeContext GetOrCreate(IReadOnlyList<string> hashes)
    {
        if (hashes.Count == 0) return CodeContext.Default;
        var id = CodeSet.IdOf(hashes);
        var lazy = _contexts.GetOrAdd(id, key => new Lazy<CodeContext>(() => CodeContext.Create(key, [.. hashes], Store)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _contexts.TryRemove(new KeyValuePair<string, Lazy<CodeContext>>(id, lazy));
            throw;
        }
    }

    /// <summary>The context for raw hashes as carried in protobuf <c>bytes</c> fields.</summary>
    public CodeContext GetOrCreate(IEnumerable<ReadOnlyMemory<byte>> hashes) =>
        GetOrCreate(hashes.Select(h => CodeHash.ToHex(h.Span)).ToList());

    /// <summary>Unloads and forgets the context of a set.</summary>
    public bool Unload(string id)
    {
        if (!_contexts.TryRemove(id, out var lazy)) return false;
        if (lazy.IsValueCreated) lazy.Value.Unload();
        return true;
    }

    /// <summary>Unloads every context.</summary>
    public void Dispose()
    {
        foreach (var id in _contexts.Keys.ToList()) Unload(id);
    }
}

namespace Shoal.Protocol;

/// <summary>
/// The sending side of <c>CodeSetDefinition</c>: the number each code set (one shared array per
/// set) has on one connection, 1, 2, 3, … in the order they were first sent. Looked up by
/// reference: the senders keep one array per set, so an equal set under another array only costs
/// one more definition, never a wrong one. Not thread-safe: each sender uses it from its one send loop.
/// </summary>
/// <typeparam name="T">The sender's array of a set's members.</typeparam>
internal sealed class CodeSetNumbers<T>
    where T : class
{
    private readonly Dictionary<T, uint> _ids = new(ReferenceEqualityComparer.Instance);

    /// <summary>The number already given to <paramref name="set"/>, if any.</summary>
    public bool TryGet(T set, out uint id) => _ids.TryGetValue(set, out id);

    /// <summary>Gives <paramref name="set"/> the next number; the caller then sends its definition.</summary>
    public uint Add(T set)
    {
        var id = checked((uint)_ids.Count + 1);
        _ids.Add(set, id);
        return id;
    }
}

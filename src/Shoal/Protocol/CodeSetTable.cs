using Google.Protobuf;
using Shoal.Protocol.Messages;

namespace Shoal.Protocol;

/// <summary>
/// The receiving side of <c>CodeSetDefinition</c> on one connection: the code hashes each number
/// stands for, so that every task naming the number shares one array (instead of parsing and
/// keeping its own copy of ~30 hashes). Bad input (a number 0, or a task naming a number never
/// defined) is a <see cref="ProtocolException"/>, which closes that connection with its reason.
/// </summary>
internal sealed class CodeSetTable
{
    private readonly Dictionary<uint, ByteString[]> _sets = new();

    /// <summary>The number of sets defined.</summary>
    public int Count => _sets.Count;

    /// <summary>Records a definition (a later one with the same number replaces it).</summary>
    public void Define(CodeSetDefinition definition)
    {
        if (definition.Id == 0) throw new ProtocolException("a code set definition must have a number other than 0");
        _sets[definition.Id] = [.. definition.Hashes];
    }

    /// <summary>The hashes a task's code set names (none for 0).</summary>
    public ByteString[] Resolve(uint id, string key)
    {
        if (id == 0) return [];
        return _sets.TryGetValue(id, out var set)
            ? set
            : throw new ProtocolException($"task '{key}' names code set {id}, which this connection never defined");
    }
}

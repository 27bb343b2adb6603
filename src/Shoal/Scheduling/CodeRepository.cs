using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using Shoal.Protocol;

namespace Shoal.Scheduling;

/// <summary>
/// The scheduler's content-addressed store of code blobs (assemblies) uploaded by clients and
/// fetched by workers. A blob is kept once whatever number of clients upload it; its hash is
/// checked on upload so a client cannot poison another's code.
/// </summary>
internal sealed class CodeRepository
{
    private readonly ConcurrentDictionary<string, (string Name, byte[] Bytes)> _blobs = new(StringComparer.Ordinal);

    public int Count => _blobs.Count;

    public bool Has(ByteString hash) => _blobs.ContainsKey(Convert.ToHexString(hash.Span));

    public void Put(ByteString hash, string name, Segment segment)
    {
        var bytes = segment.Bytes.ToArray();
        var actual = SHA256.HashData(bytes);
        if (!actual.AsSpan().SequenceEqual(hash.Span))
        {
            throw new InvalidDataException($"code blob '{name}' does not match its hash");
        }

        _blobs.TryAdd(Convert.ToHexString(hash.Span), (name, bytes));
    }

    public bool TryGet(ByteString hash, out string name, out byte[] bytes)
    {
        if (_blobs.TryGetValue(Convert.ToHexString(hash.Span), out var blob))
        {
            (name, bytes) = blob;
            return true;
        }

        name = "";
        bytes = [];
        return false;
    }
}

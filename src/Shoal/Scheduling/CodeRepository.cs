using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
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

    // What the metrics show (code.uploads, code.served): counted per blob, off the scheduler loop.
    private long _stored, _storedBytes, _known, _knownBytes, _rejected, _served, _servedBytes;

    public int Count => _blobs.Count;

    /// <summary>Adds the code instruments to the scheduler's meter.</summary>
    public void AddInstruments(Meter meter)
    {
        meter.CreateObservableCounter("code.uploads", () => Outcomes(ref _stored, ref _known, ref _rejected), "{blob}",
            "Code blobs (assemblies) clients uploaded: stored (new), known (already held), rejected (hash mismatch)");
        meter.CreateObservableCounter("code.upload.bytes", () => Outcomes(ref _storedBytes, ref _knownBytes), "By",
            "Bytes of code blobs clients uploaded: stored (new), known (already held)");
        meter.CreateObservableCounter("code.served", () => Interlocked.Read(ref _served), "{blob}", "Code blobs sent to workers");
        meter.CreateObservableCounter("code.served.bytes", () => Interlocked.Read(ref _servedBytes), "By", "Bytes of code blobs sent to workers");
        meter.CreateObservableGauge("code.blobs", () => _blobs.Count, "{blob}", "Code blobs the scheduler holds");
    }

    private static Measurement<long>[] Outcomes(ref long stored, ref long known) =>
    [
        new(Interlocked.Read(ref stored), new KeyValuePair<string, object?>("outcome", "stored")),
        new(Interlocked.Read(ref known), new KeyValuePair<string, object?>("outcome", "known")),
    ];

    private static Measurement<long>[] Outcomes(ref long stored, ref long known, ref long rejected) =>
    [
        .. Outcomes(ref stored, ref known),
        new(Interlocked.Read(ref rejected), new KeyValuePair<string, object?>("outcome", "rejected")),
    ];

    public bool Has(ByteString hash) => _blobs.ContainsKey(Convert.ToHexString(hash.Span));

    public void Put(ByteString hash, string name, Segment segment)
    {
        var bytes = segment.Bytes.ToArray();
        var actual = SHA256.HashData(bytes);
        if (!actual.AsSpan().SequenceEqual(hash.Span))
        {
            Interlocked.Increment(ref _rejected);
            throw new InvalidDataException($"code blob '{name}' does not match its hash");
        }

        if (_blobs.TryAdd(Convert.ToHexString(hash.Span), (name, bytes)))
        {
            Interlocked.Increment(ref _stored);
            Interlocked.Add(ref _storedBytes, bytes.Length);
        }
        else
        {
            Interlocked.Increment(ref _known);
            Interlocked.Add(ref _knownBytes, bytes.Length);
        }
    }

    public bool TryGet(ByteString hash, out string name, out byte[] bytes)
    {
        if (_blobs.TryGetValue(Convert.ToHexString(hash.Span), out var blob))
        {
            (name, bytes) = blob;
            Interlocked.Increment(ref _served);
            Interlocked.Add(ref _servedBytes, bytes.Length);
            return true;
        }

        name = "";
        bytes = [];
        return false;
    }
}

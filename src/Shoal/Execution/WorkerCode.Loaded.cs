using Shoal.Code;

namespace Shoal.Execution;

// What code this worker has loaded, for Client.GetVersionsAsync.
internal sealed partial class WorkerCode
{
    /// <summary>Every assembly of every code set this worker has loaded (native libraries left out), each build once.</summary>
    public IReadOnlyList<LoadedCode> Loaded()
    {
        var seen = new Dictionary<string, LoadedCode>(StringComparer.Ordinal);
        foreach (var ready in _ready.Values)
        {
            if (!ready.IsCompletedSuccessfully) continue;
            foreach (var hash in ready.Result.Hashes)
            {
                if (seen.ContainsKey(hash) || !_contexts.Store.Has(hash)) continue;
                if (LoadedCode.OfFile(_contexts.Store.GetPath(hash), hash) is { } code) seen[hash] = code;
            }
        }

        return [.. seen.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ThenBy(c => c.Version, StringComparer.Ordinal)];
    }
}

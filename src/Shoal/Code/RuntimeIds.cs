using System.Runtime.InteropServices;

namespace Shoal.Code;

/// <summary>
/// Runtime identifiers (RIDs) as the .NET host uses them to pick a package's platform-specific
/// assets: this process's own, and the portable fallback chain from most to least specific
/// (<c>linux-x64</c>, <c>linux</c>, <c>unix</c>, <c>any</c>). NuGet's full RID graph is not
/// needed since .NET 8's host, which uses only these portable RIDs.
/// </summary>
internal static class RuntimeIds
{
    /// <summary>This process's RID, e.g. <c>linux-x64</c>.</summary>
    public static string Current { get; } = RuntimeInformation.RuntimeIdentifier;

    /// <summary><see cref="Current"/> and what it falls back to, most specific first; "" (no RID) last.</summary>
    public static IReadOnlyList<string> CurrentFallbacks { get; } = Fallbacks(Current);

    /// <summary>The fallback chain of <paramref name="rid"/>, most specific first, ending with "any" and "".</summary>
    public static IReadOnlyList<string> Fallbacks(string rid)
    {
        var chain = new List<string> { rid };
        var dash = rid.LastIndexOf('-');
        var os = dash > 0 ? rid[..dash] : rid;
        var arch = dash > 0 ? rid[(dash + 1)..] : "";
        if (os.EndsWith("-musl", StringComparison.Ordinal))
        {
            chain.Add(os);
            var glibc = os[..^"-musl".Length];
            if (arch.Length > 0) chain.Add(glibc + "-" + arch);
            os = glibc;
        }

        if (os != rid && !chain.Contains(os)) chain.Add(os);
        if (os != "win") chain.Add("unix");
        chain.Add("any");
        chain.Add("");
        return chain;
    }

    /// <summary>True when an asset built for <paramref name="assetRid"/> runs in this process.</summary>
    public static bool RunsHere(string assetRid) => CurrentFallbacks.Contains(assetRid);
}

using System.Reflection;

namespace Shoal.Code;

/// <summary>One assembly of shipped (user) code a process has loaded: what <c>Client.GetVersionsAsync</c> compares.</summary>
/// <param name="Name">Simple name.</param>
/// <param name="Version">Assembly version.</param>
/// <param name="Hash">SHA-256 of the file, lowercase hex (what a code set names it by).</param>
internal readonly record struct LoadedCode(string Name, string Version, string Hash)
{
    /// <summary>One line of a report: the fields tab-separated (names and versions hold no tabs).</summary>
    public string ToLine() => $"{Name}\t{Version}\t{Hash}";

    /// <summary>The entry a line of <see cref="ToLine"/> describes; null for a line that is not one.</summary>
    public static LoadedCode? Parse(string line) => line.Split('\t') is [var name, var version, var hash] ? new LoadedCode(name, version, hash) : null;

    /// <summary>The assembly in the file at <paramref name="path"/> (a client's, or a code store's), or null for a native library blob.</summary>
    public static LoadedCode? OfFile(string path, string hash)
    {
        if (NativeBlob.TryReadHeader(path, out _, out _, out _)) return null;
        var name = AssemblyName.GetAssemblyName(path);
        return new LoadedCode(name.Name ?? "", name.Version?.ToString() ?? "", hash);
    }
}

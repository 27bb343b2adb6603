using System.Reflection;

namespace Shoal.Dashboard;

/// <summary>
/// The dashboard's pages, style sheet and scripts: plain files under Dashboard/Assets, embedded in
/// the assembly (no CDN, no build step), so the dashboard works offline and from the NuGet package.
/// </summary>
internal static class DashboardAssets
{
    private const string Prefix = "Shoal.Dashboard.Assets.";
    private static readonly Dictionary<string, byte[]> Files = Load();

    /// <summary>The file's bytes, null when there is no such asset.</summary>
    public static byte[]? Get(string name) => Files.GetValueOrDefault(name);

    /// <summary>The content type of an asset by its extension.</summary>
    public static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };

    private static Dictionary<string, byte[]> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[resource[Prefix.Length..]] = copy.ToArray();
        }

        return files;
    }
}

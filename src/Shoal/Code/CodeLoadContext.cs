using System.Reflection;
using System.Runtime.Loader;

namespace Shoal.Code;

/// <summary>
/// A collectible load context for one code set. Shared assemblies (framework, Shoal, Shoal's
/// dependencies) come from the default context so their types unify; the set's assemblies load
/// from the store, from bytes (no file locks); anything else falls back to the default context.
/// </summary>
internal sealed class CodeLoadContext : AssemblyLoadContext
{
    private readonly Dictionary<string, string> _pathByName;
    private readonly Dictionary<Guid, string> _nameByMvid;

    public CodeLoadContext(string name, IEnumerable<(string Name, Guid Mvid, string Path)> assemblies)
        : base(name, isCollectible: true)
    {
        _pathByName = new(StringComparer.Ordinal);
        _nameByMvid = new();
        foreach (var (n, mvid, path) in assemblies)
        {
            _pathByName[n] = path;
            _nameByMvid[mvid] = n;
        }
    }

    public bool Contains(string name) => _pathByName.ContainsKey(name);

    public string? NameOf(Guid mvid) => _nameByMvid.GetValueOrDefault(mvid);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var name = assemblyName.Name;
        if (name is null || SharedAssemblies.IsSharedName(name)) return null;
        if (!_pathByName.TryGetValue(name, out var path)) return null;
        foreach (var loaded in Assemblies)
            if (loaded.GetName().Name == name) return loaded;
        using var stream = new MemoryStream(File.ReadAllBytes(path), writable: false);
        return LoadFromStream(stream);
    }
}

using System.Reflection;
using System.Runtime.Loader;

namespace Shoal.Code;

/// <summary>A native library of a code set: its file name, the RID it was built for, and where it was written out (null: built for another platform).</summary>
internal sealed record NativeLibraryFile(string FileName, string Rid, string? Path);

/// <summary>
/// A collectible load context for one code set. Shared assemblies (framework, Shoal, Shoal's
/// dependencies) come from the default context so their types unify; the set's assemblies load
/// from the store, from bytes (no file locks); anything else falls back to the default context.
/// The set's native libraries answer the set's P/Invokes (<c>[DllImport("e_sqlite3")]</c>), so
/// two sets with two builds of one native library each get their own.
/// </summary>
internal sealed class CodeLoadContext : AssemblyLoadContext
{
    private readonly Dictionary<string, string> _pathByName;
    private readonly Dictionary<Guid, string> _nameByMvid;
    private readonly Dictionary<string, NativeLibraryFile> _nativeByFileName;

    public CodeLoadContext(string name, IEnumerable<(string Name, Guid Mvid, string Path)> assemblies, IEnumerable<NativeLibraryFile>? natives = null)
        : base(name, isCollectible: true)
    {
        _pathByName = new(StringComparer.Ordinal);
        _nameByMvid = new();
        _nativeByFileName = new(StringComparer.Ordinal);
        foreach (var (n, mvid, path) in assemblies)
        {
            _pathByName[n] = path;
            _nameByMvid[mvid] = n;
        }

        foreach (var native in natives ?? [])
        {
            // Prefer a library that runs here over one of the same name built for elsewhere.
            if (native.Path is not null || !_nativeByFileName.ContainsKey(native.FileName)) _nativeByFileName[native.FileName] = native;
        }
    }

    public bool Contains(string name) => _pathByName.ContainsKey(name);

    /// <summary>The stored files of the set's assemblies, in the set's order (native libraries not included).</summary>
    public IEnumerable<string> AssemblyFiles => _pathByName.Values;

    public string? NameOf(Guid mvid) => _nameByMvid.GetValueOrDefault(mvid);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var name = assemblyName.Name;
        if (name is null || SharedAssemblies.IsSharedName(name)) return null;
        if (!_pathByName.TryGetValue(name, out var path)) return null;
        foreach (var loaded in Assemblies)
            if (loaded.GetName().Name == name) return loaded;
        using var stream = new MemoryStream(File.ReadAllBytes(path), writable: false);
        var assembly = LoadFromStream(stream);
        // Loaded from bytes it has no Location: remember its file, so that a task submitting tasks ships it on.
        CodeAssembly.RememberFile(assembly, path);
        return assembly;
    }

    /// <summary>A native library of the set, by the name a P/Invoke gives (e_sqlite3, libe_sqlite3.so, …); else the default probing.</summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        if (_nativeByFileName.Count == 0) return IntPtr.Zero;
        foreach (var candidate in FileNamesOf(unmanagedDllName))
        {
            if (!_nativeByFileName.TryGetValue(candidate, out var native)) continue;
            return native.Path is { } path
                ? LoadUnmanagedDllFromPath(path)
                : throw new DllNotFoundException(
                    $"The native library '{unmanagedDllName}' came with this task's code built for '{native.Rid}', but this worker runs on '{RuntimeIds.Current}'. " +
                    "Run the client on the workers' platform, or install the library on the workers.");
        }

        return IntPtr.Zero;
    }

    /// <summary>The file names the runtime's own probing tries for a library name, on this OS.</summary>
    private static IEnumerable<string> FileNamesOf(string name)
    {
        var file = Path.GetFileName(name);
        yield return file;
        var (prefix, suffix) = OperatingSystem.IsWindows() ? ("", ".dll") : OperatingSystem.IsMacOS() ? ("lib", ".dylib") : ("lib", ".so");
        if (!file.EndsWith(suffix, StringComparison.Ordinal))
        {
            yield return file + suffix;
            if (!file.StartsWith(prefix, StringComparison.Ordinal)) yield return prefix + file + suffix;
        }

        if (prefix.Length > 0 && !file.StartsWith(prefix, StringComparison.Ordinal)) yield return prefix + file;
    }
}

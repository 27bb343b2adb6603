using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyModel;

namespace Shoal.Code;

/// <summary>A file that travels with an assembly: another assembly, or a native library built for <see cref="NativeRid"/>.</summary>
internal readonly record struct PackageFile(string Path, string? NativeRid)
{
    public bool IsNative => NativeRid is not null;
}

/// <summary>
/// What travels with an assembly of a NuGet package, read from the <c>.deps.json</c> beside it
/// (the app's, or a plugin's): everything of the package the project referenced that brought it,
/// with that package's dependencies, managed and native, for this process's RID. The assemblies
/// a task's code references are found by reading metadata (<see cref="CodeSet"/>), but a package
/// also needs what it loads by name at run time (Microsoft.Data.Sqlite loads
/// SQLitePCLRaw.batteries_v2 by reflection) and its native libraries, which only the package
/// graph names.
/// </summary>
internal static class PackageAssets
{
    private static readonly ConcurrentDictionary<string, DepsFile[]> ByDirectory = new(StringComparer.Ordinal);

    /// <summary>The files that travel with <paramref name="assemblyPath"/> (none when no deps.json describes it).</summary>
    public static IReadOnlyList<PackageFile> With(string assemblyPath)
    {
        var directory = Path.GetDirectoryName(assemblyPath);
        if (string.IsNullOrEmpty(directory)) return [];
        var fileName = Path.GetFileName(assemblyPath);
        foreach (var deps in ByDirectory.GetOrAdd(directory, ReadAll))
            if (deps.FilesWith(fileName) is { } files) return files;
        return [];
    }

    private static DepsFile[] ReadAll(string directory)
    {
        try
        {
            return [.. Directory.EnumerateFiles(directory, "*.deps.json").Order(StringComparer.Ordinal).Select(DepsFile.Read).OfType<DepsFile>()];
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>One deps.json: its libraries, and which library owns each assembly file name.</summary>
    private sealed class DepsFile
    {
        private readonly string _directory;
        private readonly Dictionary<string, RuntimeLibrary> _byName = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, RuntimeLibrary> _ownerOfFile = new(StringComparer.Ordinal);
        private readonly RuntimeLibrary? _root;
        private readonly ConcurrentDictionary<string, PackageFile[]> _filesByLibrary = new(StringComparer.OrdinalIgnoreCase);

        private DepsFile(string directory, DependencyContext context, string projectName)
        {
            _directory = directory;
            foreach (var library in context.RuntimeLibraries)
            {
                _byName.TryAdd(library.Name, library);
                foreach (var group in library.RuntimeAssemblyGroups)
                    foreach (var asset in group.AssetPaths)
                        _ownerOfFile.TryAdd(Path.GetFileName(asset), library);
            }

            _root = _byName.TryGetValue(projectName, out var root) ? root : context.RuntimeLibraries.FirstOrDefault(l => l.Type == "project");
        }

        public static DepsFile? Read(string path)
        {
            try
            {
                using var stream = File.OpenRead(path);
                using var reader = new DependencyContextJsonReader();
                var name = Path.GetFileName(path)[..^".deps.json".Length];
                return new DepsFile(Path.GetDirectoryName(path)!, reader.Read(stream), name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException or System.Text.Json.JsonException)
            {
                return null; // not a deps.json we can read: metadata references still travel
            }
        }

        /// <summary>Null when this file does not describe <paramref name="fileName"/>.</summary>
        public PackageFile[]? FilesWith(string fileName)
        {
            if (!_ownerOfFile.TryGetValue(fileName, out var owner)) return null;
            // The project's own assembly brings only what its code references, not every package it uses.
            if (ReferenceEquals(owner, _root)) return [];
            return _filesByLibrary.GetOrAdd(owner.Name, _ => Collect(owner));
        }

        /// <summary>The files of every package that the project's direct references bring along with <paramref name="owner"/>.</summary>
        private PackageFile[] Collect(RuntimeLibrary owner)
        {
            var tops = _root is null
                ? [owner]
                : _root.Dependencies.Select(d => _byName.GetValueOrDefault(d.Name)).OfType<RuntimeLibrary>().Where(top => Closure(top).Contains(owner)).ToList();
            if (tops.Count == 0) tops.Add(owner);
            var libraries = new HashSet<RuntimeLibrary>(ReferenceEqualityComparer.Instance);
            foreach (var top in tops) libraries.UnionWith(Closure(top));
            var files = new List<PackageFile>();
            foreach (var library in libraries)
            {
                if (ReferenceEquals(library, _root)) continue;
                if (BestGroup(library.RuntimeAssemblyGroups) is { } managed)
                    foreach (var asset in managed.AssetPaths)
                        if (!SharedAssemblies.IsSharedName(Path.GetFileNameWithoutExtension(asset)) && Locate(asset) is { } path)
                            files.Add(new PackageFile(path, null));
                if (BestGroup(library.NativeLibraryGroups) is { } native)
                    foreach (var asset in native.AssetPaths)
                        if (Locate(asset) is { } path)
                            files.Add(new PackageFile(path, native.Runtime));
            }

            return [.. files];
        }

        private HashSet<RuntimeLibrary> Closure(RuntimeLibrary top)
        {
            var seen = new HashSet<RuntimeLibrary>(ReferenceEqualityComparer.Instance);
            var pending = new Stack<RuntimeLibrary>();
            pending.Push(top);
            while (pending.TryPop(out var library))
            {
                if (!seen.Add(library)) continue;
                foreach (var dependency in library.Dependencies)
                    if (_byName.TryGetValue(dependency.Name, out var next)) pending.Push(next);
            }

            return seen;
        }

        /// <summary>The group the host would pick for this process's RID (the RID-neutral one last).</summary>
        private static RuntimeAssetGroup? BestGroup(IReadOnlyList<RuntimeAssetGroup> groups)
        {
            foreach (var rid in RuntimeIds.CurrentFallbacks)
                foreach (var group in groups)
                    if (string.Equals(group.Runtime ?? "", rid, StringComparison.Ordinal) && group.AssetPaths.Count > 0) return group;
            return null;
        }

        /// <summary>A build output keeps <c>runtimes/&lt;rid&gt;/…</c> paths and flattens the rest; a publish flattens all.</summary>
        private string? Locate(string asset)
        {
            var kept = Path.Combine(_directory, asset);
            if (File.Exists(kept)) return kept;
            var flat = Path.Combine(_directory, Path.GetFileName(asset));
            return File.Exists(flat) ? flat : null;
        }
    }
}

using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using Shoal.Serialization;

namespace Shoal.Code;

/// <summary>
/// The non-framework assemblies a task needs, dependencies first: the delegate's assembly and
/// everything it references transitively, minus the shared framework, Shoal and Shoal's own
/// dependencies (every worker has those). Addressed by content hash.
/// </summary>
internal sealed class CodeSet
{
    private static readonly ConcurrentDictionary<string, CodeAssembly[]> ClosureByPath = new(StringComparer.Ordinal);
    private static readonly TypeCache<CodeSet> ByType = new();
    private static readonly ConcurrentDictionary<Assembly, CodeSet> ByAssembly = new();

    private string? _id;

    private CodeSet(CodeAssembly[] assemblies)
    {
        Assemblies = assemblies;
        Hashes = Array.ConvertAll(assemblies, a => a.Hash);
    }

    /// <summary>No assemblies: everything the task needs is shared.</summary>
    public static CodeSet Empty { get; } = new([]);

    /// <summary>The assemblies, each after the ones it references (load order).</summary>
    public IReadOnlyList<CodeAssembly> Assemblies { get; }

    /// <summary>Their content hashes, in the same order.</summary>
    public IReadOnlyList<string> Hashes { get; }

    /// <summary>True when there is nothing to ship.</summary>
    public bool IsEmpty => Assemblies.Count == 0;

    /// <summary>An identity of the set that does not depend on order (hash of the sorted hashes).</summary>
    public string Id => _id ??= IdOf(Hashes);

    /// <summary>The identity of a set of hashes, independent of their order.</summary>
    public static string IdOf(IEnumerable<string> hashes)
    {
        var sorted = hashes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return sorted.Length == 0 ? "empty" : CodeHash.Of(System.Text.Encoding.ASCII.GetBytes(string.Join(",", sorted)));
    }

    /// <summary>The code a delegate needs: its method's assembly, its target's type, and what they reference.</summary>
    public static CodeSet For(Delegate function)
    {
        var set = ForType(function.Method.DeclaringType ?? typeof(object));
        if (function.Method.IsGenericMethod)
            foreach (var t in function.Method.GetGenericArguments()) set = set.Union(ForType(t));
        if (function.Target is { } target) set = set.Union(ForType(target.GetType()));
        return set;
    }

    /// <summary>The code that values of <paramref name="type"/> need (its assembly, generic arguments, element type).</summary>
    public static CodeSet ForType(Type type)
    {
        if (type.IsPrimitive || type == typeof(string)) return Empty;
        return ByType.TryGetValue(type, out var cached) ? cached : ByType.GetOrAdd(type, static t =>
        {
            if (t.HasElementType) return ForType(t.GetElementType()!);
            var set = ForAssembly(t.Assembly);
            if (t.IsConstructedGenericType)
                foreach (var a in t.GetGenericArguments()) set = set.Union(ForType(a));
            return set;
        });
    }

    /// <summary>The code an assembly needs: itself and its non-shared references, transitively.</summary>
    public static CodeSet ForAssembly(Assembly assembly)
    {
        if (SharedAssemblies.IsShared(assembly)) return Empty;
        return ByAssembly.TryGetValue(assembly, out var cached) ? cached : ByAssembly.GetOrAdd(assembly, static a =>
        {
            // On a worker, a task that submits tasks: its code came as a set, and the same set travels on (its
            // references resolve within it, not among the worker's own files).
            if (AssemblyLoadContext.GetLoadContext(a) is CodeLoadContext received)
                return new CodeSet([.. received.AssemblyFiles.Select(CodeAssembly.OfFile)]);
            var root = CodeAssembly.Of(a);
            return new CodeSet(Closure(root.Path, AssemblyLoadContext.GetLoadContext(a) ?? AssemblyLoadContext.Default));
        });
    }

    /// <summary>The union of two sets, keeping load order.</summary>
    public CodeSet Union(CodeSet other)
    {
        if (other.IsEmpty || ReferenceEquals(this, other)) return this;
        if (IsEmpty) return other;
        var seen = new HashSet<string>(Hashes, StringComparer.Ordinal);
        var merged = new List<CodeAssembly>(Assemblies);
        foreach (var a in other.Assemblies)
            if (seen.Add(a.Hash)) merged.Add(a);
        return merged.Count == Assemblies.Count ? this : new CodeSet([.. merged]);
    }

    /// <summary>Creates a set from explicit assembly files (in the order given).</summary>
    public static CodeSet FromFiles(IEnumerable<string> paths) => new([.. paths.Select(CodeAssembly.OfFile)]);

    private static CodeAssembly[] Closure(string rootPath, AssemblyLoadContext context) =>
        ClosureByPath.TryGetValue(rootPath, out var cached) ? cached : ClosureByPath.GetOrAdd(rootPath, _ =>
        {
            var order = new List<CodeAssembly>();
            var visited = new HashSet<string>(StringComparer.Ordinal);
            Visit(rootPath, context, visited, order);
            return [.. order];
        });

    private static void Visit(string path, AssemblyLoadContext context, HashSet<string> visited, List<CodeAssembly> order)
    {
        if (!visited.Add(path)) return;
        foreach (var name in ReferencedNames(path))
        {
            if (SharedAssemblies.IsSharedName(name)) continue;
            if (FindPath(name, path, context) is { } referenced) Visit(referenced, context, visited, order);
        }
        order.Add(CodeAssembly.OfFile(path));
        // What the package graph adds: assemblies loaded by name at run time, and native libraries.
        foreach (var file in PackageAssets.With(path))
        {
            if (file.NativeRid is { } rid)
            {
                if (visited.Add("native:" + file.Path)) order.Add(CodeAssembly.OfNative(file.Path, rid));
            }
            else
            {
                Visit(file.Path, context, visited, order);
            }
        }
    }

    private static List<string> ReferencedNames(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var handle in md.AssemblyReferences)
            names.Add(md.GetString(md.GetAssemblyReference(handle).Name));
        return names;
    }

    /// <summary>
    /// Where the assembly <paramref name="name"/> that <paramref name="referencingPath"/> references
    /// is: loaded in its context, beside the referencing file (a plugin's folder: it may not be
    /// loaded yet on the client, since only the workers run the task), loaded in the default
    /// context, or among the app's trusted platform assemblies.
    /// </summary>
    private static string? FindPath(string name, string referencingPath, AssemblyLoadContext context)
    {
        if (context != AssemblyLoadContext.Default && TryLoaded(name, context, out var inContext)) return inContext;
        var beside = Path.Combine(Path.GetDirectoryName(referencingPath) ?? "", name + ".dll");
        if (File.Exists(beside)) return beside;
        if (TryLoaded(name, AssemblyLoadContext.Default, out var inDefault)) return inDefault;
        return SharedAssemblies.TrustedPaths.TryGetValue(name, out var path) ? path : null;
    }

    /// <summary>Whether <paramref name="name"/> is loaded in <paramref name="context"/>; its file, or null when it must not travel.</summary>
    private static bool TryLoaded(string name, AssemblyLoadContext context, out string? path)
    {
        path = null;
        foreach (var a in context.Assemblies)
        {
            if (a.IsDynamic || a.GetName().Name != name) continue;
            path = SharedAssemblies.IsShared(a) || string.IsNullOrEmpty(a.Location) ? null : a.Location;
            return true;
        }

        return false;
    }

    /// <inheritdoc />
    public override string ToString() => IsEmpty ? "(no code)" : string.Join(", ", Assemblies.Select(a => a.Name));
}

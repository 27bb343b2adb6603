using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;

namespace Shoal.Serialization;

/// <summary>
/// Turns type identities (assembly simple name + type full name) and assembly identities (MVID)
/// into loaded types and assemblies. <see cref="Default"/> looks in the default load context;
/// a code context on a worker supplies one that looks in the client's shipped assemblies first.
/// </summary>
internal class TypeResolver
{
    private readonly ConcurrentDictionary<string, Assembly> _assemblies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Assembly, string Type), Type> _types = new();
    private readonly ConcurrentDictionary<Guid, Assembly> _byMvid = new();

    /// <summary>Resolves within the default load context (the client, or in-process workers).</summary>
    public static TypeResolver Default { get; } = new();

    /// <summary>Creates a resolver over the default load context.</summary>
    protected internal TypeResolver() { }

    /// <summary>Cache of decoded type identities (encoded bytes to type), per resolver.</summary>
    internal ConcurrentDictionary<ByteKey, Type> IdentityCache { get; } = new(ByteKeyComparer.Instance);

    /// <summary>Cache of decoded function blocks, per resolver.</summary>
    internal ConcurrentDictionary<ByteKey, FunctionSpec> FunctionCache { get; } = new();

    /// <summary>A short description for error messages.</summary>
    public virtual string Description => "the default load context";

    /// <summary>Loads the assembly with this simple name.</summary>
    public Assembly ResolveAssembly(string name) =>
        _assemblies.TryGetValue(name, out var a) ? a : _assemblies.GetOrAdd(name, LoadAssembly(name));

    /// <summary>Resolves a type by assembly simple name and full name (with '+' for nesting, '`n' for generics).</summary>
    public Type ResolveType(string assemblyName, string fullName)
    {
        if (_types.TryGetValue((assemblyName, fullName), out var t)) return t;
        Assembly assembly;
        try { assembly = ResolveAssembly(assemblyName); }
        catch (Exception e) when (e is not ValueSerializationException)
        {
            throw new ValueSerializationException(
                $"cannot load assembly {assemblyName} for type {fullName} in {Description}: {e.Message}", null, e);
        }
        var type = assembly.GetType(fullName, throwOnError: false)
            ?? throw new ValueSerializationException(
                $"cannot find type {fullName} in assembly {assemblyName} ({Description})");
        return _types.GetOrAdd((assemblyName, fullName), type);
    }

    /// <summary>Finds the assembly whose manifest module has this MVID; the name is for messages and lookup.</summary>
    public Assembly FindAssemblyByMvid(Guid mvid, string name)
    {
        if (_byMvid.TryGetValue(mvid, out var cached)) return cached;
        var found = LoadAssemblyByMvid(mvid, name)
            ?? throw new ValueSerializationException(
                $"cannot find assembly {name} (mvid {mvid}) in {Description}: the worker has a different build of it " +
                "or the client did not ship it");
        return _byMvid.GetOrAdd(mvid, found);
    }

    /// <summary>Loads an assembly by simple name; the default looks in the default load context.</summary>
    protected virtual Assembly LoadAssembly(string name)
    {
        foreach (var a in AssemblyLoadContext.Default.Assemblies)
            if (!a.IsDynamic && string.Equals(a.GetName().Name, name, StringComparison.Ordinal))
                return a;
        return AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(name));
    }

    /// <summary>Finds an assembly by MVID; the default looks in the default load context.</summary>
    protected virtual Assembly? LoadAssemblyByMvid(Guid mvid, string name)
    {
        foreach (var a in AssemblyLoadContext.Default.Assemblies)
            if (!a.IsDynamic && a.ManifestModule.ModuleVersionId == mvid)
                return a;
        try
        {
            var byName = LoadAssembly(name);
            return byName.ManifestModule.ModuleVersionId == mvid ? byName : null;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
    }
}

using System.Reflection;
using System.Runtime.Loader;
using Shoal.Serialization;

namespace Shoal.Code;

/// <summary>
/// Where one code set's types live on a worker: its load context and a resolver for type and
/// method identities within it. <see cref="Default"/> is the process's own default context.
/// </summary>
internal sealed class CodeContext
{
    private CodeContext(string id, IReadOnlyList<string> hashes, AssemblyLoadContext loadContext, TypeResolver resolver)
    {
        Id = id;
        Hashes = hashes;
        LoadContext = loadContext;
        Resolver = resolver;
    }

    /// <summary>The default context: for tasks that need no shipped code, and for in-process workers.</summary>
    public static CodeContext Default { get; } = new("default", [], AssemblyLoadContext.Default, TypeResolver.Default);

    /// <summary>The code set's identity (<see cref="CodeSet.IdOf"/>).</summary>
    public string Id { get; }

    /// <summary>The content hashes of the set.</summary>
    public IReadOnlyList<string> Hashes { get; }

    /// <summary>The load context.</summary>
    public AssemblyLoadContext LoadContext { get; }

    /// <summary>Resolves type and assembly identities within this context.</summary>
    public TypeResolver Resolver { get; }

    /// <summary>True once <see cref="Unload"/> has been called.</summary>
    public bool IsUnloaded { get; private set; }

    /// <summary>Loads an assembly of the set (or a shared one) by simple name.</summary>
    public Assembly LoadAssembly(string name) => Resolver.ResolveAssembly(name);

    internal static CodeContext Create(string id, IReadOnlyList<string> hashes, CodeStore store)
    {
        var entries = new List<(string, Guid, string)>();
        var natives = new List<NativeLibraryFile>();
        foreach (var hash in hashes)
        {
            var path = store.GetPath(hash);
            if (NativeBlob.TryReadHeader(path, out var rid, out var fileName, out var offset))
            {
                // A library built for another platform is not written out; asking for it names both platforms.
                natives.Add(RuntimeIds.RunsHere(rid)
                    ? new NativeLibraryFile(fileName, rid, NativeBlob.Materialize(store, hash, fileName, offset))
                    : new NativeLibraryFile(fileName, rid, null));
                continue;
            }

            var (name, mvid) = CodeAssembly.ReadIdentity(path);
            entries.Add((name, mvid, path));
        }
        var context = new CodeLoadContext("shoal-code-" + id[..Math.Min(12, id.Length)], entries, natives);
        return new CodeContext(id, hashes, context, new LoadContextTypeResolver(context));
    }

    /// <summary>Unloads the context (collectible); its types become unusable once nothing references them.</summary>
    public void Unload()
    {
        if (IsUnloaded || ReferenceEquals(this, Default)) return;
        IsUnloaded = true;
        JsonOptionsCache.ClearGlobalCaches();
        LoadContext.Unload();
    }

    /// <inheritdoc />
    public override string ToString() => $"code context {Id[..Math.Min(12, Id.Length)]} ({Hashes.Count} assemblies)";
}

/// <summary>Resolves names in a code load context, shared assemblies in the default one.</summary>
internal sealed class LoadContextTypeResolver(CodeLoadContext context) : TypeResolver
{
    public override string Description => $"code context '{context.Name}'";

    protected override Assembly LoadAssembly(string name) =>
        SharedAssemblies.IsSharedName(name) ? base.LoadAssembly(name) : context.LoadFromAssemblyName(new AssemblyName(name));

    protected override Assembly? LoadAssemblyByMvid(Guid mvid, string name)
    {
        if (context.NameOf(mvid) is { } inSet) return context.LoadFromAssemblyName(new AssemblyName(inSet));
        if (context.Contains(name)) return null; // same name, other build: not this client's code
        return base.LoadAssemblyByMvid(mvid, name);
    }
}

using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Shoal.Serialization;

namespace Shoal.Code;

/// <summary>One assembly of a code set: its file, content hash and module version id.</summary>
internal sealed class CodeAssembly
{
    private static readonly ConcurrentDictionary<string, CodeAssembly> ByPath = new(StringComparer.Ordinal);

    private CodeAssembly(string name, string path, string hash, Guid mvid, string? nativeRid = null)
    {
        Name = name;
        Path = path;
        Hash = hash;
        Mvid = mvid;
        NativeRid = nativeRid;
    }

    /// <summary>Assembly simple name.</summary>
    public string Name { get; }

    /// <summary>The file it was read from on the client.</summary>
    public string Path { get; }

    /// <summary>SHA-256 of the file bytes, lowercase hex.</summary>
    public string Hash { get; }

    /// <summary>The manifest module's version id (changes with every build).</summary>
    public Guid Mvid { get; }

    /// <summary>For a native library (not an assembly): the RID it was built for ("" for any); null for an assembly.</summary>
    public string? NativeRid { get; }

    /// <summary>The raw hash bytes (for protobuf <c>bytes</c> fields).</summary>
    public byte[] HashBytes() => CodeHash.ToBytes(Hash);

    /// <summary>The blob that travels: the assembly file, or a native library with its header (<see cref="NativeBlob"/>).</summary>
    public byte[] ReadBytes() =>
        NativeRid is { } rid ? NativeBlob.Wrap(rid, System.IO.Path.GetFileName(Path), File.ReadAllBytes(Path)) : File.ReadAllBytes(Path);

    /// <summary>The entry for a loaded assembly (hashed once per process).</summary>
    /// <exception cref="ClosureCaptureException">The assembly is dynamic or has no file.</exception>
    public static CodeAssembly Of(Assembly assembly)
    {
        if (assembly.IsDynamic)
            throw new ClosureCaptureException($"assembly {assembly.GetName().Name} is dynamic (generated at run time) and cannot be shipped to workers");
        var path = assembly.Location;
        if (string.IsNullOrEmpty(path) && LoadedFromStore.TryGetValue(assembly, out var stored)) path = stored;
        if (string.IsNullOrEmpty(path))
            throw new ClosureCaptureException(
                $"assembly {assembly.GetName().Name} was not loaded from a file (single-file app or loaded from bytes); it cannot be shipped to workers");
        return OfFile(path);
    }

    // Assemblies a worker loaded from its code store (from bytes, so without a Location) and their stored files. Weak:
    // a collected load context takes its entries with it.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Assembly, string> LoadedFromStore = new();

    /// <summary>Remembers the file an assembly loaded from bytes came from (a worker's code store).</summary>
    internal static void RememberFile(Assembly assembly, string path) => LoadedFromStore.AddOrUpdate(assembly, path);

    /// <summary>The entry for an assembly file (hashed once per process).</summary>
    public static CodeAssembly OfFile(string path) =>
        ByPath.TryGetValue(path, out var cached) ? cached : ByPath.GetOrAdd(path, static p => Read(p));

    /// <summary>The entry for a native library file built for <paramref name="rid"/> (hashed once per process).</summary>
    internal static CodeAssembly OfNative(string path, string rid) =>
        ByPath.GetOrAdd("native:" + rid + ":" + path, static (_, a) =>
        {
            var blob = NativeBlob.Wrap(a.rid, System.IO.Path.GetFileName(a.path), File.ReadAllBytes(a.path));
            return new CodeAssembly(System.IO.Path.GetFileName(a.path), a.path, CodeHash.Of(blob), Guid.Empty, a.rid);
        }, (path, rid));

    private static CodeAssembly Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var (name, mvid) = ReadIdentity(bytes);
        return new CodeAssembly(name, path, CodeHash.Of(bytes), mvid);
    }

    /// <summary>Reads an assembly's simple name and MVID from its bytes without loading it.</summary>
    internal static (string Name, Guid Mvid) ReadIdentity(byte[] bytes)
    {
        using var pe = new PEReader(new MemoryStream(bytes, writable: false));
        var md = pe.GetMetadataReader();
        var name = md.GetString(md.GetAssemblyDefinition().Name);
        var mvid = md.GetGuid(md.GetModuleDefinition().Mvid);
        return (name, mvid);
    }

    /// <summary>Reads identity from a file.</summary>
    internal static (string Name, Guid Mvid) ReadIdentity(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        return (md.GetString(md.GetAssemblyDefinition().Name), md.GetGuid(md.GetModuleDefinition().Mvid));
    }

    /// <inheritdoc />
    public override string ToString() =>
        NativeRid is { } rid ? $"{Name} ({Hash[..12]}, native for '{rid}')" : $"{Name} ({Hash[..12]}, mvid {Mvid})";
}

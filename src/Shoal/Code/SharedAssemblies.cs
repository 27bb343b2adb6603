using System.Reflection;
using System.Runtime.InteropServices;

namespace Shoal.Code;

/// <summary>
/// The assemblies every Shoal process already has, so they never travel and always load from the
/// default context (their types must unify): the shared framework, Shoal and Shoal's dependencies.
/// </summary>
internal static class SharedAssemblies
{
    private static readonly string SharedRoot = FindSharedRoot();
    private static readonly HashSet<string> Names = BuildNames();

    /// <summary>Paths of the trusted platform assemblies by simple name (the app's and the framework's).</summary>
    public static IReadOnlyDictionary<string, string> TrustedPaths { get; } = BuildTrusted();

    public static bool IsShared(Assembly assembly)
    {
        if (assembly.IsDynamic) return false;
        var name = assembly.GetName().Name;
        if (name is not null && Names.Contains(name)) return true;
        return IsFrameworkPath(assembly.Location);
    }

    public static bool IsSharedName(string name) => Names.Contains(name);

    private static bool IsFrameworkPath(string path) =>
        !string.IsNullOrEmpty(path) && path.StartsWith(SharedRoot, StringComparison.Ordinal);

    private static string FindSharedRoot()
    {
        // .../dotnet/shared/Microsoft.NETCore.App/10.0.x/ -> .../dotnet/shared/
        var runtime = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        var root = Path.GetDirectoryName(Path.GetDirectoryName(runtime));
        return root is null ? runtime : root + Path.DirectorySeparatorChar;
    }

    private static Dictionary<string, string> BuildTrusted()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
            foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                result.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        return result;
    }

    private static HashSet<string> BuildNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "Shoal", "Google.Protobuf", "System.Private.CoreLib", "netstandard", "mscorlib" };
        foreach (var (name, path) in BuildTrusted())
            if (IsFrameworkPath(path)) names.Add(name);
        // Whatever Shoal references is installed wherever Shoal is.
        foreach (var reference in typeof(SharedAssemblies).Assembly.GetReferencedAssemblies())
            if (reference.Name is { } n) names.Add(n);
        return names;
    }
}

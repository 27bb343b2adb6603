using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.Json;

namespace Shoal.Serialization;

/// <summary>
/// System.Text.Json options per load context. The options cache type metadata; keeping one set
/// per context lets a collectible code context unload with its types.
/// </summary>
internal static class JsonOptionsCache
{
    private static readonly ConditionalWeakTable<AssemblyLoadContext, JsonSerializerOptions> ByContext = new();
    private static readonly JsonSerializerOptions Shared = Create();

    public static JsonSerializerOptions For(Type type)
    {
        if (!type.IsCollectible) return Shared;
        var context = CollectibleContextOf(type);
        return context is null ? Shared : ByContext.GetValue(context, static _ => Create());
    }

    /// <summary>The collectible context a type belongs to (through its generic arguments or element type too).</summary>
    private static AssemblyLoadContext? CollectibleContextOf(Type type)
    {
        if (AssemblyLoadContext.GetLoadContext(type.Assembly) is { IsCollectible: true } own) return own;
        if (type.HasElementType) return CollectibleContextOf(type.GetElementType()!);
        if (type.IsConstructedGenericType)
            foreach (var a in type.GetGenericArguments())
                if (a.IsCollectible && CollectibleContextOf(a) is { } found) return found;
        return null;
    }

    /// <summary>
    /// Asks System.Text.Json to drop its process-wide caches (it keeps member accessors of the types
    /// it has seen, which would hold an unloaded code context alive: dotnet/runtime#65323). Uses the
    /// hook hot reload calls; best effort, as it is not public API.
    /// </summary>
    public static void ClearGlobalCaches()
    {
        try
        {
            typeof(JsonSerializer).Assembly.GetType("System.Text.Json.JsonSerializerOptionsUpdateHandler")
                ?.GetMethod("ClearCache", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
                ?.Invoke(null, [null]);
        }
        catch (Exception e) when (e is System.Reflection.TargetInvocationException or MemberAccessException or ArgumentException)
        {
            // Only a memory optimisation; unloading still happens once those caches expire.
        }
    }

    private static JsonSerializerOptions Create() => new()
    {
        IncludeFields = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new FutureJsonConverter() },
    };
}

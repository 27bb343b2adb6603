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
        var context = AssemblyLoadContext.GetLoadContext(type.Assembly);
        if (context is null || !context.IsCollectible) return Shared;
        return ByContext.GetValue(context, static _ => Create());
    }

    private static JsonSerializerOptions Create() => new()
    {
        IncludeFields = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}

using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Shoal.Serialization;

/// <summary>Facts about delegate target types: display classes, their fields, public-only state.</summary>
internal static class ClosureTypes
{
    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
    private static readonly TypeCache<FieldInfo[]> Fields = new();
    private static readonly TypeCache<string?> PrivateState = new();

    /// <summary>True for the compiler's closure classes (<c>&lt;&gt;c</c>, <c>&lt;&gt;c__DisplayClass0_0</c>).</summary>
    public static bool IsDisplayClass(Type type) =>
        type.Name.StartsWith("<>c", StringComparison.Ordinal) && type.IsDefined(typeof(CompilerGeneratedAttribute), false);

    /// <summary>All instance fields, base classes first, in declaration (metadata) order.</summary>
    public static FieldInfo[] InstanceFieldsOf(Type type) => Fields.GetOrAdd(type, static t =>
    {
        var chain = new List<Type>();
        for (var c = t; c is not null && c != typeof(object) && c != typeof(ValueType); c = c.BaseType) chain.Add(c);
        chain.Reverse();
        return [.. chain.SelectMany(c => c.GetFields(InstanceFields).OrderBy(f => f.MetadataToken))];
    });

    /// <summary>
    /// Null if every instance field of <paramref name="type"/> is public (or backs a public
    /// property); otherwise a description of the first private one ("has private field _conn").
    /// </summary>
    public static string? PrivateStateOf(Type type) => PrivateState.GetOrAdd(type, static t =>
    {
        foreach (var f in InstanceFieldsOf(t))
        {
            if (f.IsPublic) continue;
            if (IsBackingFieldOfPublicProperty(f)) continue;
            return $"has private field {f.Name}";
        }
        return null;
    });

    private static bool IsBackingFieldOfPublicProperty(FieldInfo field)
    {
        var name = field.Name;
        if (!name.StartsWith('<') || !name.EndsWith(">k__BackingField", StringComparison.Ordinal)) return false;
        var property = field.DeclaringType!.GetProperty(name[1..name.IndexOf('>')],
            BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly);
        return property?.GetMethod is { IsPublic: true };
    }
}

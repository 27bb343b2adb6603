namespace Shoal.Serialization;

/// <summary>
/// How deserialization turns a future on the wire (key + value type) back into an object of the
/// type the closure field or argument expects: the type's constructor taking the key (an unbound
/// <c>Future&lt;T&gt;</c>), or a placeholder that implements <see cref="IFutureReference"/> only.
/// </summary>
internal static class FutureReferences
{
    private static readonly TypeCache<System.Reflection.ConstructorInfo?> KeyConstructors = new();

    /// <summary>A future for (key, value type) where nothing says which type: the placeholder.</summary>
    internal static object Create(string key, Type valueType) => new FutureArg(key, valueType);

    /// <summary>
    /// A future for (key, value type) that is an instance of <paramref name="expected"/>: from
    /// <paramref name="expected"/>'s public constructor taking the key (a future type of your own
    /// may offer one), else the placeholder if it fits, else an error naming the type.
    /// </summary>
    internal static object Create(string key, Type valueType, Type expected)
    {
        var ctor = KeyConstructors.GetOrAdd(expected, static t => t.IsAbstract || t.IsInterface || t.ContainsGenericParameters ? null : KeyConstructor(t));
        if (ctor is not null)
        {
            var parameters = ctor.GetParameters();
            var args = new object?[parameters.Length];
            args[0] = key;
            for (var i = 1; i < args.Length; i++) args[i] = parameters[i].HasDefaultValue ? parameters[i].DefaultValue : null;
            return ctor.Invoke(args);
        }
        var placeholder = new FutureArg(key, valueType);
        if (expected.IsInstanceOfType(placeholder)) return placeholder;
        throw new ValueSerializationException(
            $"cannot recreate future {key} as a {TypeIdentity.DisplayName(expected)}: it has no public constructor taking the key",
            expected);
    }

    /// <summary>
    /// A constructor that takes the key first: public (string) preferred, else any whose other
    /// parameters accept null or have defaults (an unbound future: no client entry behind it).
    /// </summary>
    private static System.Reflection.ConstructorInfo? KeyConstructor(Type type)
    {
        if (type.GetConstructor([typeof(string)]) is { } simple) return simple;
        foreach (var c in type.GetConstructors(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic))
        {
            var p = c.GetParameters();
            if (p.Length > 0 && p[0].ParameterType == typeof(string)
                && p.Skip(1).All(x => x.HasDefaultValue || !x.ParameterType.IsValueType || Nullable.GetUnderlyingType(x.ParameterType) is not null))
                return c;
        }
        return null;
    }

    /// <summary>Makes <paramref name="future"/> fit <paramref name="expected"/> (see <see cref="Create(string, Type, Type)"/>).</summary>
    internal static object Adapt(IFutureReference future, Type expected) =>
        expected.IsInstanceOfType(future) ? future : Create(future.Key, future.ValueType, expected);
}

/// <summary>A future as it travels: just its key and value type.</summary>
internal sealed class FutureArg(string key, Type valueType) : IFutureReference
{
    public string Key { get; } = key;
    public Type ValueType { get; } = valueType;
    public override string ToString() => $"Future({Key})";
}

/// <summary>An argument that was a sequence of futures; bound on the worker to values.</summary>
internal sealed class FutureListArg(FutureArg[] items, Type declaredType) : IFutureReference
{
    public FutureArg[] Items { get; } = items;

    /// <summary>The element type of the futures' values (common value type, or object).</summary>
    public Type ValueType { get; } = declaredType;

    public string Key => string.Join(",", Items.Select(i => i.Key));
}

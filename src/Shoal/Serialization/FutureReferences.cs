namespace Shoal.Serialization;

/// <summary>
/// The hook through which deserialization turns a future on the wire (key + value type) back
/// into an object of the type the closure field or argument expects. The client layer sets
/// <see cref="Factory"/> to create an unbound <c>Future&lt;T&gt;</c>.
/// </summary>
public static class FutureReferences
{
    /// <summary>
    /// Creates a future object for (key, value type). When null, deserialization produces an
    /// internal placeholder that implements <see cref="IFutureReference"/> only.
    /// </summary>
    public static Func<string, Type, object>? Factory { get; set; }

    internal static object Create(string key, Type valueType) =>
        Factory is { } factory ? factory(key, valueType) : new FutureArg(key, valueType);
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

namespace Shoal.Serialization;

/// <summary>Read state shared by one deserialization.</summary>
internal sealed class ReadContext(TypeResolver resolver, ValueCodecRegistry codecs)
{
    public TypeResolver Resolver { get; } = resolver;
    public ValueCodecRegistry Codecs { get; } = codecs;

    /// <summary>When true, top-level futures become internal placeholders (task arguments) instead of factory futures.</summary>
    public bool FuturesAsArgs { get; init; }

    /// <summary>Closure objects read so far, by reference id (closures may share or cycle).</summary>
    public List<object> Objects { get; } = new();
}

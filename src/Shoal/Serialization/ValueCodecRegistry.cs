using System.Buffers;
using System.Collections.Concurrent;

namespace Shoal.Serialization;

/// <summary>
/// User codecs by value type. <see cref="Global"/> is consulted by every serializer; an instance
/// registry is consulted first and falls back to the global one.
/// </summary>
internal sealed class ValueCodecRegistry
{
    private static readonly TypeCache<ErasedCodec?> ByAttribute = new();
    private readonly ConcurrentDictionary<Type, ErasedCodec> _codecs = new();
    private readonly ValueCodecRegistry? _fallback;

    /// <summary>The process-wide registry.</summary>
    public static ValueCodecRegistry Global { get; } = new(null);

    /// <summary>Creates a registry that falls back to <see cref="Global"/>.</summary>
    public ValueCodecRegistry() : this(Global) { }

    private ValueCodecRegistry(ValueCodecRegistry? fallback) => _fallback = fallback;

    /// <summary>Registers (or replaces) the codec for <typeparamref name="T"/>.</summary>
    public void Register<T>(IValueCodec<T> codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        _codecs[typeof(T)] = new ErasedCodec<T>(codec);
    }

    /// <summary>Removes the codec for <typeparamref name="T"/>; true if there was one.</summary>
    public bool Unregister<T>()
    {
        var removed = _codecs.TryRemove(typeof(T), out _);
        return removed;
    }

    /// <summary>True when a codec applies to values of exactly <paramref name="type"/>.</summary>
    public bool Has(Type type) => Find(type) is not null;

    internal bool IsEmpty => _codecs.IsEmpty && (_fallback?.IsEmpty ?? true);

    internal ErasedCodec? Find(Type type)
    {
        if (_codecs.TryGetValue(type, out var codec)) return codec;
        if (_fallback?.Find(type) is { } inherited) return inherited;
        return _fallback is null ? FromAttribute(type) : null;
    }

    /// <summary>Finds a codec for a type being read: registered, by attribute, or from the codec's own type.</summary>
    internal ErasedCodec? FindForRead(Type valueType, Type? codecType)
    {
        if (Find(valueType) is { } codec) return codec;
        if (FromAttribute(valueType) is { } byAttribute) return byAttribute;
        return codecType is null ? null : ErasedCodec.Create(codecType, valueType);
    }

    internal static ErasedCodec? FromAttribute(Type type) =>
        ByAttribute.GetOrAdd(type, static t =>
            t.GetCustomAttributes(typeof(ValueCodecAttribute), false) is [ValueCodecAttribute a, ..]
                ? ErasedCodec.Create(a.CodecType, t)
                : null);
}

/// <summary>A codec with its type parameter erased, so the serializer can call it on objects.</summary>
internal abstract class ErasedCodec
{
    private static readonly TypeCache<ErasedCodec> Created = new();

    public abstract Type CodecType { get; }
    public abstract void Write(object value, IBufferWriter<byte> output);
    public abstract object? Read(ReadOnlySpan<byte> input);

    public static ErasedCodec Create(Type codecType, Type valueType)
    {
        if (Created.TryGetValue(valueType, out var cached) && cached.CodecType == codecType) return cached;
        return Created.GetOrAdd(valueType, Make((codecType, valueType)));

        static ErasedCodec Make((Type Codec, Type Value) k)
        {
            var iface = typeof(IValueCodec<>).MakeGenericType(k.Value);
            if (!iface.IsAssignableFrom(k.Codec))
                throw new ValueSerializationException(
                    $"codec {k.Codec.FullName} does not implement IValueCodec<{k.Value.FullName}>", k.Value);
            object instance;
            try { instance = Activator.CreateInstance(k.Codec)!; }
            catch (Exception e) when (e is MissingMethodException or MemberAccessException or System.Reflection.TargetInvocationException)
            {
                throw new ValueSerializationException(
                    $"cannot create codec {k.Codec.FullName} for {k.Value.FullName}: it needs a public parameterless constructor " +
                    "(or register an instance in ValueCodecRegistry.Global on this process)", k.Value, e);
            }
            return (ErasedCodec)Activator.CreateInstance(typeof(ErasedCodec<>).MakeGenericType(k.Value), instance)!;
        }
    }
}

internal sealed class ErasedCodec<T>(IValueCodec<T> codec) : ErasedCodec
{
    public override Type CodecType => codec.GetType();
    public override void Write(object value, IBufferWriter<byte> output) => codec.Write((T)value, output);
    public override object? Read(ReadOnlySpan<byte> input) => codec.Read(input);
}

using System.Buffers;
using System.Collections.Concurrent;

namespace Shoal.Serialization;

/// <summary>
/// User codecs by value type, for one serializer (<see cref="ValueSerializer.Codecs"/>): an object
/// its owner passes, never process-wide state. A type marked with <see cref="ValueCodecAttribute"/>
/// needs no registration anywhere: every registry finds its codec from the type.
/// </summary>
internal sealed class ValueCodecRegistry
{
    private static readonly TypeCache<ErasedCodec?> ByAttribute = new();
    private readonly ConcurrentDictionary<Type, ErasedCodec> _codecs = new();
    private readonly bool _readOnly;

    /// <summary>Creates an empty registry.</summary>
    public ValueCodecRegistry() { }

    private ValueCodecRegistry(bool readOnly) => _readOnly = readOnly;

    /// <summary>Codecs by attribute only; registering in it throws (it is <see cref="ValueSerializer.Default"/>'s, shared).</summary>
    public static ValueCodecRegistry AttributesOnly { get; } = new(readOnly: true);

    /// <summary>Registers (or replaces) the codec for <typeparamref name="T"/>.</summary>
    public void Register<T>(IValueCodec<T> codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        if (_readOnly) throw new InvalidOperationException("this registry is shared and read-only: register codecs in a registry of your own (new ValueSerializer(new ValueCodecRegistry()))");
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

    internal bool IsEmpty => _codecs.IsEmpty;

    internal ErasedCodec? Find(Type type)
    {
        return _codecs.TryGetValue(type, out var codec) ? codec : FromAttribute(type);
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
                    "(workers create it from the type's [ValueCodec] attribute)", k.Value, e);
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

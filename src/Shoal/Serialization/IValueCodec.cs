using System.Buffers;

namespace Shoal.Serialization;

/// <summary>
/// A user codec for values of type <typeparamref name="T"/>. Register it in a
/// <see cref="ValueCodecRegistry"/>, or name it on the type with <see cref="ValueCodecAttribute"/>
/// so that worker processes (which never run your registration code) find it too. A codec that
/// has a public parameterless constructor is also created on the worker from its type identity.
/// </summary>
public interface IValueCodec<T>
{
    /// <summary>Writes <paramref name="value"/>.</summary>
    void Write(T value, IBufferWriter<byte> output);

    /// <summary>Reads back a value written by <see cref="Write"/>.</summary>
    T Read(ReadOnlySpan<byte> input);
}

/// <summary>Names the <see cref="IValueCodec{T}"/> to use for the type it decorates.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class ValueCodecAttribute(Type codecType) : Attribute
{
    /// <summary>The codec type; it needs a public parameterless constructor.</summary>
    public Type CodecType { get; } = codecType;
}

using System.Buffers;

namespace Shoal;

/// <summary>
/// A user codec for values of type <typeparamref name="T"/>. Name it on the type with
/// <see cref="ValueCodecAttribute"/>: every process, the client's and each worker's, then finds it
/// from the type itself (workers never run your program's set-up code). The codec needs a public
/// parameterless constructor.
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

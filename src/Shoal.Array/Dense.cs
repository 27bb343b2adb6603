using System.Runtime.InteropServices;

namespace Shoal.Arrays;

/// <summary>
/// An n-dimensional array in memory: a flat, row-major (C order) .NET array and a shape. What a
/// computed <see cref="NDArray{T}"/> comes back as, and what <c>MapBlocks</c> kernels receive.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class Dense<T> where T : unmanaged
{
    /// <summary>Wraps <paramref name="data"/> (not copied) as an array of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The shape's size is not the data's length, or a dimension is negative.</exception>
    public Dense(T[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var size = Shapes.Size(shape);
        if (size != data.Length) throw new ArgumentException($"shape ({Shapes.Format(shape)}) holds {size} elements but the data has {data.Length}", nameof(shape));
        Data = data;
        Shape = (long[])shape.Clone();
    }

    /// <summary>The elements in row-major order.</summary>
    public T[] Data { get; }

    /// <summary>The length of each axis.</summary>
    public long[] Shape { get; }

    /// <summary>The number of axes.</summary>
    public int Rank => Shape.Length;

    /// <summary>The number of elements.</summary>
    public long Size => Data.LongLength;

    /// <summary>The elements as a span.</summary>
    public Span<T> Span => Data;

    /// <summary>The element at the given index (one coordinate per axis).</summary>
    /// <exception cref="IndexOutOfRangeException">Wrong number of coordinates or one out of range.</exception>
    public T this[params long[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    private long Offset(long[] index)
    {
        if (index.Length != Shape.Length) throw new IndexOutOfRangeException($"{index.Length} coordinates for an array of {Shape.Length} axes");
        long offset = 0;
        for (var i = 0; i < index.Length; i++)
        {
            if ((ulong)index[i] >= (ulong)Shape[i]) throw new IndexOutOfRangeException($"index {index[i]} out of range for axis {i} of length {Shape[i]}");
            offset = offset * Shape[i] + index[i];
        }

        return offset;
    }

    /// <summary>The single element of a 0-dimensional (or one-element) array.</summary>
    /// <exception cref="InvalidOperationException">The array does not hold exactly one element.</exception>
    public T Scalar() => Data.Length == 1 ? Data[0] : throw new InvalidOperationException($"an array of shape ({Shapes.Format(Shape)}) is not a scalar");

    /// <summary>A 2-D array as a .NET <c>T[,]</c> (a copy).</summary>
    /// <exception cref="InvalidOperationException">The array is not 2-D.</exception>
    public T[,] To2D()
    {
        if (Rank != 2) throw new InvalidOperationException($"an array of {Rank} axes is not 2-D");
        var result = new T[Shape[0], Shape[1]];
        if (Data.Length > 0) Data.AsSpan().CopyTo(MemoryMarshal.CreateSpan(ref System.Runtime.CompilerServices.Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference((Array)result)), Data.Length));
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => $"Dense<{typeof(T).Name}>({Shapes.Format(Shape)})";
}

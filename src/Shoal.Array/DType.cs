using System.Numerics;

namespace Shoal.Arrays;

/// <summary>The element type of an array, as NumPy names it.</summary>
public enum DType : byte
{
    /// <summary><see cref="bool"/> (one byte, 0 or 1).</summary>
    Bool = 0,
    /// <summary><see cref="byte"/>.</summary>
    UInt8 = 1,
    /// <summary><see cref="short"/>.</summary>
    Int16 = 2,
    /// <summary><see cref="int"/>.</summary>
    Int32 = 3,
    /// <summary><see cref="long"/>.</summary>
    Int64 = 4,
    /// <summary><see cref="float"/>.</summary>
    Float32 = 5,
    /// <summary><see cref="double"/>.</summary>
    Float64 = 6,
}

/// <summary>What the kernels need to dispatch on a dtype once per tile, not per element.</summary>
internal interface IDTypeVisitor<out TResult>
{
    /// <summary>Called with the element type; bool arrays are visited as <see cref="byte"/> (their bytes are 0 or 1).</summary>
    TResult Number<T>() where T : unmanaged, INumber<T>, IMinMaxValue<T>;
}

/// <summary>The mapping between .NET element types and <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>The dtype of <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException">T is not bool, byte, short, int, long, float or double.</exception>
    public static DType Of<T>() where T : unmanaged => Cache<T>.Value
        ?? throw new NotSupportedException($"{typeof(T).Name} is not an array element type: use bool, byte, short, int, long, float or double");

    /// <summary>The dtype of a .NET element type, or null.</summary>
    public static DType? Of(Type type) =>
        type == typeof(bool) ? DType.Bool : type == typeof(byte) ? DType.UInt8 : type == typeof(short) ? DType.Int16 :
        type == typeof(int) ? DType.Int32 : type == typeof(long) ? DType.Int64 : type == typeof(float) ? DType.Float32 :
        type == typeof(double) ? DType.Float64 : null;

    /// <summary>The .NET element type of a dtype.</summary>
    public static Type ClrType(this DType dtype) => dtype switch
    {
        DType.Bool => typeof(bool),
        DType.UInt8 => typeof(byte),
        DType.Int16 => typeof(short),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>Bytes per element.</summary>
    public static int Size(this DType dtype) => dtype switch
    {
        DType.Bool or DType.UInt8 => 1,
        DType.Int16 => 2,
        DType.Int32 or DType.Float32 => 4,
        _ => 8,
    };

    /// <summary>Whether the dtype is a floating-point type.</summary>
    public static bool IsFloat(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    internal static TResult Visit<TResult>(this DType dtype, IDTypeVisitor<TResult> visitor) => dtype switch
    {
        DType.Bool => visitor.Number<byte>(),
        DType.UInt8 => visitor.Number<byte>(),
        DType.Int16 => visitor.Number<short>(),
        DType.Int32 => visitor.Number<int>(),
        DType.Int64 => visitor.Number<long>(),
        DType.Float32 => visitor.Number<float>(),
        DType.Float64 => visitor.Number<double>(),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>NumPy's result type of a binary operation on two dtypes (a simplified promotion table).</summary>
    internal static DType Promote(DType a, DType b)
    {
        if (a == b) return a;
        if (a == DType.Bool) return b;
        if (b == DType.Bool) return a;
        if (a.IsFloat() || b.IsFloat())
        {
            if (a == DType.Float64 || b == DType.Float64) return DType.Float64;
            // float32 with an integer of more than 16 bits needs float64 to hold it (NumPy's rule).
            var other = a.IsFloat() ? b : a;
            return other is DType.Int32 or DType.Int64 ? DType.Float64 : DType.Float32;
        }

        return (DType)Math.Max((byte)a, (byte)b);
    }

    private static class Cache<T> where T : unmanaged
    {
        public static readonly DType? Value = Of(typeof(T));
    }
}

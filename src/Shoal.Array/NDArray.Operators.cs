using Shoal.Arrays.Graph;
using Shoal.Arrays.Kernels;

namespace Shoal.Arrays;

public sealed partial class NDArray<T>
{
    /// <summary>Element-wise sum (NumPy broadcasting).</summary>
    public static NDArray<T> operator +(NDArray<T> a, NDArray<T> b) => Binary(BinaryOp.Add, a, b);

    /// <summary>Adds a scalar to every element.</summary>
    public static NDArray<T> operator +(NDArray<T> a, T b) => Binary(BinaryOp.Add, a, Scalar(b));

    /// <summary>Adds a scalar to every element.</summary>
    public static NDArray<T> operator +(T a, NDArray<T> b) => Binary(BinaryOp.Add, Scalar(a), b);

    /// <summary>Element-wise difference.</summary>
    public static NDArray<T> operator -(NDArray<T> a, NDArray<T> b) => Binary(BinaryOp.Subtract, a, b);

    /// <summary>Subtracts a scalar from every element.</summary>
    public static NDArray<T> operator -(NDArray<T> a, T b) => Binary(BinaryOp.Subtract, a, Scalar(b));

    /// <summary>A scalar minus every element.</summary>
    public static NDArray<T> operator -(T a, NDArray<T> b) => Binary(BinaryOp.Subtract, Scalar(a), b);

    /// <summary>Element-wise negation.</summary>
    public static NDArray<T> operator -(NDArray<T> a) => a.Unary(UnaryOp.Negate);

    /// <summary>Element-wise product.</summary>
    public static NDArray<T> operator *(NDArray<T> a, NDArray<T> b) => Binary(BinaryOp.Multiply, a, b);

    /// <summary>Multiplies every element by a scalar.</summary>
    public static NDArray<T> operator *(NDArray<T> a, T b) => Binary(BinaryOp.Multiply, a, Scalar(b));

    /// <summary>Multiplies every element by a scalar.</summary>
    public static NDArray<T> operator *(T a, NDArray<T> b) => Binary(BinaryOp.Multiply, Scalar(a), b);

    /// <summary>Element-wise quotient (floating-point arrays; convert integers with AsType first).</summary>
    public static NDArray<T> operator /(NDArray<T> a, NDArray<T> b) => Binary(BinaryOp.Divide, a, b);

    /// <summary>Divides every element by a scalar.</summary>
    public static NDArray<T> operator /(NDArray<T> a, T b) => Binary(BinaryOp.Divide, a, Scalar(b));

    /// <summary>A scalar divided by every element.</summary>
    public static NDArray<T> operator /(T a, NDArray<T> b) => Binary(BinaryOp.Divide, Scalar(a), b);

    /// <summary>Element-wise remainder with the divisor's sign (NumPy's mod).</summary>
    public static NDArray<T> operator %(NDArray<T> a, NDArray<T> b) => Binary(BinaryOp.Remainder, a, b);

    /// <summary>Element-wise remainder by a scalar.</summary>
    public static NDArray<T> operator %(NDArray<T> a, T b) => Binary(BinaryOp.Remainder, a, Scalar(b));

    /// <summary>Element-wise logical (bool) or bitwise (integers) and.</summary>
    public static NDArray<T> operator &(NDArray<T> a, NDArray<T> b) => Binary(BinaryOp.And, a, b);

    /// <summary>Element-wise logical or bitwise or.</summary>
    public static NDArray<T> operator |(NDArray<T> a, NDArray<T> b) => Binary(BinaryOp.Or, a, b);

    /// <summary>Element-wise logical or bitwise exclusive or.</summary>
    public static NDArray<T> operator ^(NDArray<T> a, NDArray<T> b) => Binary(BinaryOp.Xor, a, b);

    /// <summary>Element-wise logical not (bool) or complement (integers).</summary>
    public static NDArray<T> operator !(NDArray<T> a) => a.Unary(UnaryOp.Not);

    /// <summary>Element-wise a &lt; b.</summary>
    public static NDArray<bool> operator <(NDArray<T> a, NDArray<T> b) => Compare(CompareOp.Less, a, b);

    /// <summary>Element-wise a &gt; b.</summary>
    public static NDArray<bool> operator >(NDArray<T> a, NDArray<T> b) => Compare(CompareOp.Greater, a, b);

    /// <summary>Element-wise a &lt;= b.</summary>
    public static NDArray<bool> operator <=(NDArray<T> a, NDArray<T> b) => Compare(CompareOp.LessOrEqual, a, b);

    /// <summary>Element-wise a &gt;= b.</summary>
    public static NDArray<bool> operator >=(NDArray<T> a, NDArray<T> b) => Compare(CompareOp.GreaterOrEqual, a, b);

    /// <summary>Every element &lt; a scalar.</summary>
    public static NDArray<bool> operator <(NDArray<T> a, T b) => Compare(CompareOp.Less, a, Scalar(b));

    /// <summary>Every element &gt; a scalar.</summary>
    public static NDArray<bool> operator >(NDArray<T> a, T b) => Compare(CompareOp.Greater, a, Scalar(b));

    /// <summary>Every element &lt;= a scalar.</summary>
    public static NDArray<bool> operator <=(NDArray<T> a, T b) => Compare(CompareOp.LessOrEqual, a, Scalar(b));

    /// <summary>Every element &gt;= a scalar.</summary>
    public static NDArray<bool> operator >=(NDArray<T> a, T b) => Compare(CompareOp.GreaterOrEqual, a, Scalar(b));

    /// <summary>Element-wise a == b (C#'s == stays reference equality).</summary>
    public NDArray<bool> Equal(NDArray<T> other) => Compare(CompareOp.Equal, this, other);

    /// <summary>Every element == a scalar.</summary>
    public NDArray<bool> Equal(T other) => Compare(CompareOp.Equal, this, Scalar(other));

    /// <summary>Element-wise a != b.</summary>
    public NDArray<bool> NotEqual(NDArray<T> other) => Compare(CompareOp.NotEqual, this, other);

    /// <summary>Every element != a scalar.</summary>
    public NDArray<bool> NotEqual(T other) => Compare(CompareOp.NotEqual, this, Scalar(other));

    /// <summary>The elements converted to another element type (floats to integers truncate, as NumPy's astype).</summary>
    public NDArray<TOut> AsType<TOut>() where TOut : unmanaged
    {
        var to = DTypes.Of<TOut>();
        if (to == DType) return (NDArray<TOut>)(object)this;
        return new NDArray<TOut>(new ElementwiseNode(ElementwiseKind.Cast, 0, to, [Node], Node.Shape, Node.Chunks));
    }

    internal NDArray<T> Unary(UnaryOp op) => new(new ElementwiseNode(ElementwiseKind.Unary, (byte)op, DType, [Node], Node.Shape, Node.Chunks));

    internal static NDArray<T> Scalar(T value) => new(ConstOf(value, [], []));

    internal static ConstNode ConstOf(T value, long[] shape, long[][] chunks)
    {
        var (d, l) = Numbers.Split(value);
        return new ConstNode(shape, chunks, DTypes.Of<T>(), d, l);
    }

    internal static NDArray<T> Binary(BinaryOp op, NDArray<T> a, NDArray<T> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (op is BinaryOp.And or BinaryOp.Or or BinaryOp.Xor && a.DType.IsFloat())
            throw new NotSupportedException($"{op} needs bool or integer arrays, not {a.DType}");
        if (op == BinaryOp.Divide && !a.DType.IsFloat())
            throw new NotSupportedException($"division of {a.DType} arrays: convert with AsType<double>() first (NumPy's true division gives float64)");
        var (nodes, shape, chunks) = Elementwise.Align(a.Node, b.Node);
        return new(new ElementwiseNode(ElementwiseKind.Binary, (byte)op, a.DType, nodes, shape, chunks));
    }

    internal static NDArray<bool> Compare(CompareOp op, NDArray<T> a, NDArray<T> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var (nodes, shape, chunks) = Elementwise.Align(a.Node, b.Node);
        return new(new ElementwiseNode(ElementwiseKind.Compare, (byte)op, DType.Bool, nodes, shape, chunks));
    }
}

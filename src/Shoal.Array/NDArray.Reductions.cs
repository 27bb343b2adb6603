using System.Numerics;
using Shoal.Arrays.Graph;
using Shoal.Arrays.Kernels;

namespace Shoal.Arrays;

/// <summary>
/// Reductions over all axes (<c>axes</c> null) or the given ones, as tree reductions: a partial
/// per chunk (fused with the element-wise steps before it), merged <c>splitEvery</c> at a time.
/// Integer and bool sums are int64, means and variances float64, as in NumPy.
/// </summary>
public static partial class NDArray
{
    /// <summary>Partials merged per task in tree reductions unless told otherwise.</summary>
    public const int DefaultSplitEvery = 8;

    /// <summary>Sum of floating-point elements.</summary>
    public static NDArray<T> Sum<T>(this NDArray<T> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) where T : unmanaged, IFloatingPointIeee754<T> =>
        Reduce<T>(x.Node, ReduceOp.Sum, axes, keepDims, splitEvery);

    /// <summary>Sum of int64 elements.</summary>
    public static NDArray<long> Sum(this NDArray<long> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) => Reduce<long>(x.Node, ReduceOp.Sum, axes, keepDims, splitEvery);

    /// <summary>Sum of int32 elements, as int64.</summary>
    public static NDArray<long> Sum(this NDArray<int> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) => Reduce<long>(x.Node, ReduceOp.Sum, axes, keepDims, splitEvery);

    /// <summary>Sum of int16 elements, as int64.</summary>
    public static NDArray<long> Sum(this NDArray<short> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) => Reduce<long>(x.Node, ReduceOp.Sum, axes, keepDims, splitEvery);

    /// <summary>Sum of bytes, as int64.</summary>
    public static NDArray<long> Sum(this NDArray<byte> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) => Reduce<long>(x.Node, ReduceOp.Sum, axes, keepDims, splitEvery);

    /// <summary>The number of true elements (NumPy's sum of a bool array).</summary>
    public static NDArray<long> Sum(this NDArray<bool> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) => Reduce<long>(x.Node, ReduceOp.CountNonZero, axes, keepDims, splitEvery);

    /// <summary>Product of floating-point elements.</summary>
    public static NDArray<T> Prod<T>(this NDArray<T> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) where T : unmanaged, IFloatingPointIeee754<T> =>
        Reduce<T>(x.Node, ReduceOp.Prod, axes, keepDims, splitEvery);

    /// <summary>Product of int64 elements.</summary>
    public static NDArray<long> Prod(this NDArray<long> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) => Reduce<long>(x.Node, ReduceOp.Prod, axes, keepDims, splitEvery);

    /// <summary>Smallest element (NaN if any is).</summary>
    /// <exception cref="ArgumentException">A reduced axis is empty (no identity), or an axis is out of range.</exception>
    public static NDArray<T> Min<T>(this NDArray<T> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) where T : unmanaged, INumber<T> =>
        Reduce<T>(x.Node, ReduceOp.Min, axes, keepDims, splitEvery);

    /// <summary>Largest element (NaN if any is).</summary>
    /// <exception cref="ArgumentException">A reduced axis is empty (no identity), or an axis is out of range.</exception>
    public static NDArray<T> Max<T>(this NDArray<T> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) where T : unmanaged, INumber<T> =>
        Reduce<T>(x.Node, ReduceOp.Max, axes, keepDims, splitEvery);

    /// <summary>
    /// Arithmetic mean, in float64: the float64 sum divided by the count, as NumPy computes it (a
    /// sum folds a tile with one vectorized add; a running mean would need a division per element).
    /// </summary>
    public static NDArray<double> Mean<T>(this NDArray<T> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) where T : unmanaged, INumber<T>
    {
        var normalized = Shapes.Axes(axes, x.Rank);
        var count = normalized.Aggregate(1L, (n, a) => n * x.Node.Shape[a]);
        var sum = Reduce<double>(x.AsType<double>().Node, ReduceOp.Sum, axes, keepDims, splitEvery);
        return sum / (double)count;
    }

    /// <summary>Variance (divided by n - ddof), in float64, from merged (count, mean, M2) partials.</summary>
    public static NDArray<double> Var<T>(this NDArray<T> x, int[]? axes = null, double ddof = 0, bool keepDims = false, int splitEvery = DefaultSplitEvery) where T : unmanaged, INumber<T> =>
        Reduce<double>(x.Node, ReduceOp.Moments, axes, keepDims, splitEvery, MomentsResult.Var, ddof);

    /// <summary>Standard deviation (square root of <see cref="Var"/>).</summary>
    public static NDArray<double> Std<T>(this NDArray<T> x, int[]? axes = null, double ddof = 0, bool keepDims = false, int splitEvery = DefaultSplitEvery) where T : unmanaged, INumber<T> =>
        Reduce<double>(x.Node, ReduceOp.Moments, axes, keepDims, splitEvery, MomentsResult.Std, ddof);

    /// <summary>The number of non-zero (true) elements.</summary>
    public static NDArray<long> CountNonZero<T>(this NDArray<T> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) where T : unmanaged =>
        Reduce<long>(x.Node, ReduceOp.CountNonZero, axes, keepDims, splitEvery);

    /// <summary>Whether any element is non-zero (true).</summary>
    public static NDArray<bool> Any<T>(this NDArray<T> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) where T : unmanaged =>
        Reduce<bool>(x.Node, ReduceOp.Any, axes, keepDims, splitEvery);

    /// <summary>Whether every element is non-zero (true).</summary>
    public static NDArray<bool> All<T>(this NDArray<T> x, int[]? axes = null, bool keepDims = false, int splitEvery = DefaultSplitEvery) where T : unmanaged =>
        Reduce<bool>(x.Node, ReduceOp.All, axes, keepDims, splitEvery);

    /// <summary>Index of the smallest element along an axis, or in the flattened array (axis null); the first on ties and the first NaN.</summary>
    public static NDArray<long> ArgMin<T>(this NDArray<T> x, int? axis = null, int splitEvery = DefaultSplitEvery) where T : unmanaged, INumber<T> => Arg(x.Node, false, axis, splitEvery);

    /// <summary>Index of the largest element along an axis, or in the flattened array.</summary>
    public static NDArray<long> ArgMax<T>(this NDArray<T> x, int? axis = null, int splitEvery = DefaultSplitEvery) where T : unmanaged, INumber<T> => Arg(x.Node, true, axis, splitEvery);

    private static NDArray<long> Arg(Node x, bool max, int? axis, int splitEvery)
    {
        if (splitEvery < 2) throw new ArgumentOutOfRangeException(nameof(splitEvery), splitEvery, "a tree reduction merges at least 2 partials per task");
        int? a = axis is { } given ? Shapes.Axis(given, x.Rank) : null;
        var extent = a is { } k ? x.Shape[k] : Shapes.Size(x.Shape);
        if (extent == 0) throw new ArgumentException($"{(max ? "ArgMax" : "ArgMin")} of an empty sequence (shape ({Shapes.Format(x.Shape)}))");
        return new(new ArgReduceNode(x, max, a, splitEvery));
    }

    internal static NDArray<TOut> Reduce<TOut>(Node x, ReduceOp op, int[]? axes, bool keepDims, int splitEvery, MomentsResult moments = MomentsResult.Mean, double ddof = 0)
        where TOut : unmanaged
    {
        if (splitEvery < 2) throw new ArgumentOutOfRangeException(nameof(splitEvery), splitEvery, "a tree reduction merges at least 2 partials per task");
        var normalized = Shapes.Axes(axes, x.Rank);
        if (op is ReduceOp.Min or ReduceOp.Max && normalized.Any(a => x.Shape[a] == 0))
            throw new ArgumentException($"{op} over an empty axis of shape ({Shapes.Format(x.Shape)}): the operation has no identity");
        return new(new ReduceNode(x, op, normalized, keepDims, DTypes.Of<TOut>(), moments, ddof, splitEvery));
    }
}

/// <summary>Linear algebra over chunked arrays.</summary>
public static class Linalg
{
    /// <summary>The 2-norm along an axis (or the Frobenius norm of everything): √Σx².</summary>
    public static NDArray<T> Norm<T>(NDArray<T> x, int? axis = null, bool keepDims = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        NDArray.Sqrt(NDArray.Sum(NDArray.Square(x), axis is { } a ? [a] : null, keepDims));

    /// <summary>The 2-norm over the given axes.</summary>
    public static NDArray<T> Norm<T>(NDArray<T> x, int[] axes, bool keepDims = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        NDArray.Sqrt(NDArray.Sum(NDArray.Square(x), axes, keepDims));

    /// <summary>The matrix product of 2-D arrays (B's row chunks follow A's column chunks).</summary>
    /// <exception cref="ArgumentException">Not 2-D, or the inner dimensions differ.</exception>
    public static NDArray<T> MatMul<T>(NDArray<T> a, NDArray<T> b) where T : unmanaged, INumber<T>
    {
        if (a.Rank != 2 || b.Rank != 2) throw new ArgumentException($"MatMul needs 2-D arrays, not shapes ({Shapes.Format(a.Node.Shape)}) and ({Shapes.Format(b.Node.Shape)})");
        if (a.Node.Shape[1] != b.Node.Shape[0]) throw new ArgumentException($"MatMul of ({Shapes.Format(a.Node.Shape)}) and ({Shapes.Format(b.Node.Shape)}): inner dimensions {a.Node.Shape[1]} and {b.Node.Shape[0]} differ");
        var bNode = Structure.Rechunk(b.Node, [a.Node.Chunks[1], b.Node.Chunks[1]]);
        return new(new MatMulNode(a.Node, bNode));
    }

    /// <summary>Dot product: MatMul for 2-D arrays; for 1-D vectors, Σ aᵢbᵢ.</summary>
    public static NDArray<T> Dot<T>(NDArray<T> a, NDArray<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Rank == 1 && b.Rank == 1)
        {
            if (a.Node.Shape[0] != b.Node.Shape[0]) throw new ArgumentException($"Dot of vectors of lengths {a.Node.Shape[0]} and {b.Node.Shape[0]}");
            return NDArray.Sum(a * b);
        }

        return MatMul(a, b);
    }
}

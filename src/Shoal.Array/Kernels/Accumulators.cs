using System.Numerics;
using System.Numerics.Tensors;

namespace Shoal.Arrays.Kernels;

/// <summary>
/// The partial results of tree reductions: a flat array of cells in the accumulator dtype (three
/// float64 planes — count, mean, M2 — for <see cref="ReduceOp.Moments"/>), how tiles fold into
/// them, how two partials merge, and what a finished partial gives.
/// </summary>
internal static class Accumulators
{
    public static int Planes(ReduceOp op) => op == ReduceOp.Moments ? 3 : 1;

    /// <summary>The accumulator dtype for reducing values of <paramref name="input"/>.</summary>
    public static DType AccType(ReduceOp op, DType input) => op switch
    {
        ReduceOp.Moments => DType.Float64,
        ReduceOp.CountNonZero => DType.Int64,
        ReduceOp.Any or ReduceOp.All => DType.Bool,
        ReduceOp.Sum or ReduceOp.Prod when !input.IsFloat() => DType.Int64,
        _ => input,
    };

    public static Array Create(ReduceOp op, DType acc, long cells)
    {
        var array = Array.CreateInstance(acc.ClrType(), checked(cells * Planes(op)));
        Init(op, acc, Bytes(array));
        return array;
    }

    public static Span<byte> Bytes(Array array) => array.Length == 0 ? [] :
        System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array), checked(array.Length * DTypes.Of(array.GetType().GetElementType()!)!.Value.Size()));

    private static void Init(ReduceOp op, DType acc, Span<byte> bytes)
    {
        switch (op)
        {
            case ReduceOp.Prod: TileMath.Fill(acc, 1, 1, bytes); break;
            case ReduceOp.All: bytes.Fill(1); break;
            case ReduceOp.Min or ReduceOp.Max:
                var max = op == ReduceOp.Min; // a minimum starts from the largest value
                switch (acc)
                {
                    case DType.Float64: TileMath.As<double>(bytes).Fill(max ? double.PositiveInfinity : double.NegativeInfinity); break;
                    case DType.Float32: TileMath.As<float>(bytes).Fill(max ? float.PositiveInfinity : float.NegativeInfinity); break;
                    case DType.Int64: TileMath.As<long>(bytes).Fill(max ? long.MaxValue : long.MinValue); break;
                    case DType.Int32: TileMath.As<int>(bytes).Fill(max ? int.MaxValue : int.MinValue); break;
                    case DType.Int16: TileMath.As<short>(bytes).Fill(max ? short.MaxValue : short.MinValue); break;
                    default: bytes.Fill(max ? byte.MaxValue : byte.MinValue); break;
                }

                break;
        }
    }

    /// <summary>Folds a tile of values (already in the accumulator's dtype, except Moments and counts) into cells.</summary>
    /// <param name="op">The reduction.</param>
    /// <param name="type">The tile's dtype.</param>
    /// <param name="tile">The values.</param>
    /// <param name="acc">The accumulator array.</param>
    /// <param name="cell">The first cell.</param>
    /// <param name="allInOne">All values fold into <paramref name="cell"/> (else value j into cell + j).</param>
    /// <param name="scratch">Room for a tile of float64.</param>
    public static void Fold(ReduceOp op, DType type, ReadOnlySpan<byte> tile, Array acc, long cell, bool allInOne, Span<double> scratch)
    {
        var length = tile.Length / type.Size();
        if (length == 0) return;
        switch (op)
        {
            case ReduceOp.CountNonZero:
            {
                var counts = (long[])acc;
                if (type.Size() != 1) throw new InvalidOperationException("counts fold bool tiles");
                if (allInOne) counts[cell] += TileMath.CountNonZeroBytes(tile);
                else for (var j = 0; j < length; j++) counts[cell + j] += tile[j] != 0 ? 1 : 0;
                return;
            }
            case ReduceOp.Any or ReduceOp.All:
            {
                var flags = (bool[])acc;
                for (var j = 0; j < length; j++)
                {
                    var c = allInOne ? cell : cell + j;
                    flags[c] = op == ReduceOp.Any ? flags[c] || tile[j] != 0 : flags[c] && tile[j] != 0;
                }

                return;
            }
            case ReduceOp.Moments:
            {
                var x = TileMath.As<double>(tile);
                var planes = (double[])acc;
                var cells = planes.Length / 3;
                if (allInOne)
                {
                    var mean = TensorPrimitives.Sum(x) / length;
                    var dev = scratch[..length];
                    TensorPrimitives.Subtract(x, mean, dev);
                    Merge(ref planes[cell], ref planes[cells + cell], ref planes[2 * cells + cell], length, mean, TensorPrimitives.SumOfSquares(dev));
                }
                else
                {
                    for (var j = 0; j < length; j++)
                    {
                        var c = cell + j;
                        Merge(ref planes[c], ref planes[cells + c], ref planes[2 * cells + c], 1, x[j], 0);
                    }
                }

                return;
            }
        }

        FoldNumbers(op, type, tile, acc, cell, allInOne);
    }

    /// <summary>Chan et al.'s merge of (n, mean, M2) with (nb, meanb, m2b).</summary>
    public static void Merge(ref double n, ref double mean, ref double m2, double nb, double meanb, double m2b)
    {
        if (nb == 0) return;
        if (n == 0)
        {
            (n, mean, m2) = (nb, meanb, m2b);
            return;
        }

        var total = n + nb;
        var delta = meanb - mean;
        mean += delta * nb / total;
        m2 += m2b + delta * delta * n * nb / total;
        n = total;
    }

    private static void FoldNumbers(ReduceOp op, DType type, ReadOnlySpan<byte> tile, Array acc, long cell, bool allInOne)
    {
        switch (type)
        {
            case DType.Float64: FoldNumber<double>(op, tile, acc, cell, allInOne); break;
            case DType.Float32: FoldNumber<float>(op, tile, acc, cell, allInOne); break;
            case DType.Int64: FoldNumber<long>(op, tile, acc, cell, allInOne); break;
            case DType.Int32: FoldNumber<int>(op, tile, acc, cell, allInOne); break;
            case DType.Int16: FoldNumber<short>(op, tile, acc, cell, allInOne); break;
            default: FoldNumber<byte>(op, tile, acc, cell, allInOne); break;
        }
    }

    private static void FoldNumber<T>(ReduceOp op, ReadOnlySpan<byte> tile, Array acc, long cell, bool allInOne) where T : unmanaged, INumber<T>
    {
        var x = TileMath.As<T>(tile);
        var a = (T[])acc;
        if (allInOne)
        {
            ref var c = ref a[cell];
            c = op switch
            {
                ReduceOp.Sum => c + TensorPrimitives.Sum(x),
                ReduceOp.Prod => c * TensorPrimitives.Product(x),
                ReduceOp.Min => MinNaN(c, TensorPrimitives.Min(x)),
                _ => MaxNaN(c, TensorPrimitives.Max(x)),
            };
            return;
        }

        var cells = a.AsSpan(checked((int)cell), x.Length);
        switch (op)
        {
            case ReduceOp.Sum: TensorPrimitives.Add(cells, x, cells); break;
            case ReduceOp.Prod: TensorPrimitives.Multiply(cells, x, cells); break;
            case ReduceOp.Min: TensorPrimitives.Min(cells, x, cells); break;
            default: TensorPrimitives.Max(cells, x, cells); break;
        }
    }

    /// <summary>The smaller, NaN if either is (NumPy's minimum).</summary>
    public static T MinNaN<T>(T a, T b) where T : INumber<T> => T.IsNaN(a) || T.IsNaN(b) ? (T.IsNaN(a) ? a : b) : a < b ? a : b;

    /// <summary>The larger, NaN if either is.</summary>
    public static T MaxNaN<T>(T a, T b) where T : INumber<T> => T.IsNaN(a) || T.IsNaN(b) ? (T.IsNaN(a) ? a : b) : a > b ? a : b;

    /// <summary>Merges partial <paramref name="from"/> into <paramref name="into"/> (same shape).</summary>
    public static void MergeInto(ReduceOp op, Array into, Array from)
    {
        switch (op)
        {
            case ReduceOp.Moments:
            {
                var a = (double[])into;
                var b = (double[])from;
                var cells = a.Length / 3;
                for (var c = 0; c < cells; c++) Merge(ref a[c], ref a[cells + c], ref a[2 * cells + c], b[c], b[cells + c], b[2 * cells + c]);
                return;
            }
            case ReduceOp.CountNonZero:
                TensorPrimitives.Add(((long[])into).AsSpan(), (long[])from, (long[])into);
                return;
            case ReduceOp.Any or ReduceOp.All:
            {
                var a = (bool[])into;
                var b = (bool[])from;
                for (var c = 0; c < a.Length; c++) a[c] = op == ReduceOp.Any ? a[c] || b[c] : a[c] && b[c];
                return;
            }
        }

        var type = DTypes.Of(into.GetType().GetElementType()!)!.Value;
        FoldNumbers(op, type, Bytes(from), into, 0, false);
    }

    /// <summary>A finished partial as the reduction's result values (Moments: mean, variance or deviation).</summary>
    public static Array Finish(ReduceOp op, Array partial, MomentsResult moments, double ddof)
    {
        if (op != ReduceOp.Moments) return partial;
        var p = (double[])partial;
        var cells = p.Length / 3;
        var result = new double[cells];
        for (var c = 0; c < cells; c++)
        {
            var n = p[c];
            result[c] = moments switch
            {
                MomentsResult.Mean => n == 0 ? double.NaN : p[cells + c],
                MomentsResult.Var => n - ddof <= 0 ? double.NaN : p[2 * cells + c] / (n - ddof),
                _ => n - ddof <= 0 ? double.NaN : Math.Sqrt(p[2 * cells + c] / (n - ddof)),
            };
        }

        return result;
    }
}

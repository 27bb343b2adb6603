namespace Shoal.Array.Tests;

/// <summary>
/// The in-memory computations the chunked results must equal: plain loops over a flat row-major
/// array, written for obviousness, not speed.
/// </summary>
internal sealed record Ref(double[] Data, long[] Shape)
{
    public int Rank => Shape.Length;

    public long Size => Data.LongLength;

    public static long[] Strides(long[] shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }

        return s;
    }

    public long[] Coords(long flat)
    {
        var c = new long[Rank];
        for (var k = Rank - 1; k >= 0; k--)
        {
            c[k] = Shape[k] == 0 ? 0 : flat % Shape[k];
            flat = Shape[k] == 0 ? 0 : flat / Shape[k];
        }

        return c;
    }

    public double At(long[] coords)
    {
        long flat = 0;
        for (var k = 0; k < Rank; k++) flat = flat * Shape[k] + coords[k];
        return Data[flat];
    }

    public Ref Map(Func<double, double> f) => new(Data.Select(f).ToArray(), Shape);

    /// <summary>NumPy broadcasting of two arrays.</summary>
    public static Ref Zip(Ref a, Ref b, Func<double, double, double> f)
    {
        var rank = Math.Max(a.Rank, b.Rank);
        var shape = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i - (rank - a.Rank) >= 0 ? a.Shape[i - (rank - a.Rank)] : 1;
            var db = i - (rank - b.Rank) >= 0 ? b.Shape[i - (rank - b.Rank)] : 1;
            shape[i] = da == 1 ? db : da;
        }

        var result = new Ref(new double[shape.Aggregate(1L, (x, y) => x * y)], shape);
        for (long e = 0; e < result.Size; e++)
        {
            var c = result.Coords(e);
            result.Data[e] = f(a.At(Project(c, a.Shape)), b.At(Project(c, b.Shape)));
        }

        return result;
    }

    private static long[] Project(long[] coords, long[] shape)
    {
        var off = coords.Length - shape.Length;
        return shape.Select((d, j) => d == 1 ? 0 : coords[j + off]).ToArray();
    }

    /// <summary>Folds the values of each output cell (in row-major order) with <paramref name="f"/>.</summary>
    public Ref Reduce(int[] axes, bool keepDims, Func<List<double>, double> f)
    {
        var keptShape = Shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray();
        var cells = new List<double>[keptShape.Aggregate(1L, (x, y) => x * y)];
        for (var i = 0; i < cells.Length; i++) cells[i] = [];
        var strides = Strides(keptShape);
        for (long e = 0; e < Size; e++)
        {
            var c = Coords(e);
            long cell = 0;
            for (var k = 0; k < Rank; k++)
            {
                if (!axes.Contains(k)) cell += c[k] * strides[k];
            }

            cells[cell].Add(Data[e]);
        }

        var shape = keepDims ? keptShape : Shape.Where((_, i) => !axes.Contains(i)).ToArray();
        return new Ref(cells.Select(f).ToArray(), shape);
    }

    public Ref Slice((long Start, long Stop, long Step)[] s)
    {
        var shape = Shape.Select((d, k) => Math.Max(0, (Math.Min(s[k].Stop, d) - s[k].Start + s[k].Step - 1) / s[k].Step)).ToArray();
        var result = new Ref(new double[shape.Aggregate(1L, (x, y) => x * y)], shape);
        for (long e = 0; e < result.Size; e++)
        {
            var c = result.Coords(e);
            result.Data[e] = At(c.Select((x, k) => s[k].Start + x * s[k].Step).ToArray());
        }

        return result;
    }

    public Ref Transpose(int[] perm)
    {
        var shape = perm.Select(p => Shape[p]).ToArray();
        var result = new Ref(new double[Size], shape);
        for (long e = 0; e < Size; e++)
        {
            var c = result.Coords(e);
            var src = new long[Rank];
            for (var k = 0; k < Rank; k++) src[perm[k]] = c[k];
            result.Data[e] = At(src);
        }

        return result;
    }

    public static Ref Concatenate(Ref[] parts, int axis)
    {
        var shape = (long[])parts[0].Shape.Clone();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        var result = new Ref(new double[shape.Aggregate(1L, (x, y) => x * y)], shape);
        for (long e = 0; e < result.Size; e++)
        {
            var c = result.Coords(e);
            var i = 0;
            while (c[axis] >= parts[i].Shape[axis])
            {
                c[axis] -= parts[i].Shape[axis];
                i++;
            }

            result.Data[e] = parts[i].At(c);
        }

        return result;
    }

    public static Ref MatMul(Ref a, Ref b)
    {
        var (m, k, n) = (a.Shape[0], a.Shape[1], b.Shape[1]);
        var c = new double[m * n];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var p = 0; p < k; p++) s += a.Data[i * k + p] * b.Data[p * n + j];
                c[i * n + j] = s;
            }

        return new Ref(c, [m, n]);
    }
}

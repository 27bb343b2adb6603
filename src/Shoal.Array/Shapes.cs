namespace Shoal.Arrays;

/// <summary>Arithmetic on shapes and strides (row-major).</summary>
internal static class Shapes
{
    public static long Size(ReadOnlySpan<long> shape)
    {
        long size = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d}");
            size = checked(size * d);
        }

        return size;
    }

    public static string Format(ReadOnlySpan<long> shape) => shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.ToArray());

    /// <summary>Row-major element strides of a shape.</summary>
    public static long[] Strides(ReadOnlySpan<long> shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }

        return strides;
    }

    /// <summary>An axis argument made non-negative and checked, as NumPy's normalize_axis_index.</summary>
    public static int Axis(int axis, int rank, string? what = null)
    {
        var a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"axis {axis} is out of range for an array of {rank} axes{(what is null ? "" : $" ({what})")}");
        return a;
    }

    /// <summary>Axes made non-negative, checked, sorted, without repetition; null means all.</summary>
    public static int[] Axes(int[]? axes, int rank)
    {
        if (axes is null) return Enumerable.Range(0, rank).ToArray();
        var result = axes.Select(a => Axis(a, rank)).ToArray();
        Array.Sort(result);
        for (var i = 1; i < result.Length; i++)
        {
            if (result[i] == result[i - 1]) throw new ArgumentException($"axis {result[i]} is repeated", nameof(axes));
        }

        return result;
    }
}

namespace Shoal.Arrays.Graph;

/// <summary>Chunk sizes per axis: choosing them, checking them, and walking the grid of blocks.</summary>
internal static class ChunkGrid
{
    /// <summary>Target bytes of an automatically chosen chunk (Dask's array.chunk-size default).</summary>
    public const long AutoBytes = 128L << 20;

    /// <summary>
    /// Chunk sizes from a per-axis chunk length (-1 or a length past the axis: the whole axis), or
    /// automatic (null) chunks of about <see cref="AutoBytes"/>.
    /// </summary>
    public static long[][] Normalize(long[] shape, long[]? chunks, int elementSize)
    {
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape ({Shapes.Format(shape)})", nameof(shape));
        }

        chunks ??= Auto(shape, elementSize);
        if (chunks.Length != shape.Length)
            throw new ArgumentException($"{chunks.Length} chunk lengths for an array of {shape.Length} axes (shape ({Shapes.Format(shape)}))", nameof(chunks));
        var result = new long[shape.Length][];
        for (var axis = 0; axis < shape.Length; axis++)
        {
            var c = chunks[axis];
            if (c == 0 || c < -1) throw new ArgumentException($"chunk length {c} on axis {axis}: use a positive length, or -1 for the whole axis", nameof(chunks));
            result[axis] = Split(shape[axis], c == -1 ? Math.Max(1, shape[axis]) : c);
        }

        return result;
    }

    /// <summary>An axis of <paramref name="length"/> in chunks of <paramref name="chunk"/>, the last one ragged; one empty chunk for an empty axis.</summary>
    public static long[] Split(long length, long chunk)
    {
        if (length == 0) return [0];
        var n = (length + chunk - 1) / chunk;
        var sizes = new long[n];
        for (var i = 0; i < n; i++) sizes[i] = Math.Min(chunk, length - i * chunk);
        return sizes;
    }

    /// <summary>Checks explicit chunk sizes per axis against a shape.</summary>
    public static long[][] Check(long[] shape, long[][] chunks)
    {
        if (chunks.Length != shape.Length) throw new ArgumentException($"chunks for {chunks.Length} axes, but the shape ({Shapes.Format(shape)}) has {shape.Length}", nameof(chunks));
        for (var axis = 0; axis < shape.Length; axis++)
        {
            if (chunks[axis].Length == 0 || chunks[axis].Any(c => c < 0) || chunks[axis].Sum() != shape[axis])
                throw new ArgumentException($"chunks ({string.Join(", ", chunks[axis])}) of axis {axis} do not add up to its length {shape[axis]}", nameof(chunks));
        }

        return chunks.Select(c => (long[])c.Clone()).ToArray();
    }

    private static long[] Auto(long[] shape, int elementSize)
    {
        var chunks = (long[])shape.Clone();
        for (var i = 0; i < chunks.Length; i++) chunks[i] = Math.Max(1, chunks[i]);
        // Halve the largest axis until a chunk is under the target (Dask's auto also balances axes).
        while (Shapes.Size(chunks) * elementSize > AutoBytes)
        {
            var largest = 0;
            for (var i = 1; i < chunks.Length; i++)
            {
                if (chunks[i] > chunks[largest]) largest = i;
            }

            if (chunks[largest] == 1) break;
            chunks[largest] = (chunks[largest] + 1) / 2;
        }

        return chunks;
    }

    /// <summary>The start of each chunk along an axis (one more entry: the axis length).</summary>
    public static long[] Starts(long[] sizes)
    {
        var starts = new long[sizes.Length + 1];
        for (var i = 0; i < sizes.Length; i++) starts[i + 1] = starts[i] + sizes[i];
        return starts;
    }

    public static int[] NumBlocks(long[][] chunks) => chunks.Select(c => c.Length).ToArray();

    public static long BlockCount(long[][] chunks)
    {
        long n = 1;
        foreach (var c in chunks) n *= c.Length;
        return n;
    }

    /// <summary>Block coordinates of a linear (row-major) block index.</summary>
    public static int[] BlockCoords(long[][] chunks, long linear)
    {
        var coords = new int[chunks.Length];
        for (var axis = chunks.Length - 1; axis >= 0; axis--)
        {
            coords[axis] = (int)(linear % chunks[axis].Length);
            linear /= chunks[axis].Length;
        }

        return coords;
    }

    public static long Linear(long[][] chunks, ReadOnlySpan<int> coords)
    {
        long linear = 0;
        for (var axis = 0; axis < chunks.Length; axis++) linear = linear * chunks[axis].Length + coords[axis];
        return linear;
    }

    public static long[] BlockShape(long[][] chunks, ReadOnlySpan<int> coords)
    {
        var shape = new long[chunks.Length];
        for (var axis = 0; axis < chunks.Length; axis++) shape[axis] = chunks[axis][coords[axis]];
        return shape;
    }

    /// <summary>NumPy's broadcast of shapes (right-aligned; 1 stretches), or a clear error.</summary>
    public static long[] Broadcast(params long[][] shapes)
    {
        var rank = shapes.Max(s => s.Length);
        var result = new long[rank];
        for (var i = 0; i < rank; i++) result[i] = 1;
        foreach (var shape in shapes)
        {
            for (var j = 0; j < shape.Length; j++)
            {
                var axis = rank - shape.Length + j;
                var d = shape[j];
                if (d == result[axis] || d == 1) continue;
                if (result[axis] == 1) result[axis] = d;
                else
                    throw new ArgumentException($"shapes {string.Join(" and ", shapes.Select(s => $"({Shapes.Format(s)})"))} cannot be broadcast together: axis {axis} has lengths {result[axis]} and {d}");
            }
        }

        return result;
    }

    /// <summary>
    /// The common chunks of inputs broadcast together (Dask's unify_chunks): per output axis, the
    /// chunks of the first input that is not stretched there; an input whose chunks differ is
    /// rechunked to them.
    /// </summary>
    public static long[][] Unify(long[] shape, IReadOnlyList<Node> inputs)
    {
        var chunks = new long[shape.Length][];
        for (var axis = 0; axis < shape.Length; axis++)
        {
            foreach (var input in inputs)
            {
                var j = axis - (shape.Length - input.Rank);
                if (j < 0 || input.Shape[j] != shape[axis]) continue;
                chunks[axis] = input.Chunks[j];
                break;
            }

            chunks[axis] ??= [shape[axis]];
        }

        return chunks;
    }

    public static bool SameChunks(long[] a, long[] b) => a.AsSpan().SequenceEqual(b);
}

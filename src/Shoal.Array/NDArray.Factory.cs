using System.Numerics;
using Shoal.Arrays.Graph;
using Shoal.Arrays.Kernels;

namespace Shoal.Arrays;

/// <summary>
/// Creating chunked arrays, and the functions over them (NumPy's module-level functions).
/// <c>chunks</c> arguments give a chunk length per axis (-1: the whole axis; null: about 128 MiB
/// per chunk, as Dask's "auto").
/// </summary>
public static partial class NDArray
{
    /// <summary>An array of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static NDArray<T> Full<T>(long[] shape, T value, long[]? chunks = null) where T : unmanaged =>
        new(NDArray<T>.ConstOf(value, (long[])shape.Clone(), ChunkGrid.Normalize(shape, chunks, DTypes.Of<T>().Size())));

    /// <summary>An array of zeros.</summary>
    public static NDArray<T> Zeros<T>(long[] shape, long[]? chunks = null) where T : unmanaged => Full(shape, default(T), chunks);

    /// <summary>An array of ones.</summary>
    public static NDArray<T> Ones<T>(long[] shape, long[]? chunks = null) where T : unmanaged => Full(shape, Numbers.From<T>(1), chunks);

    /// <summary><c>start, start + step, ...</c> below <paramref name="stop"/> (NumPy's arange).</summary>
    /// <exception cref="ArgumentException">A zero step.</exception>
    public static NDArray<T> Arange<T>(double start, double stop, double step = 1, long? chunks = null) where T : unmanaged
    {
        if (step == 0 || double.IsNaN(step)) throw new ArgumentException("arange needs a non-zero step", nameof(step));
        var length = (long)Math.Max(0, Math.Ceiling((stop - start) / step));
        return new(new RampNode(length, ChunkGrid.Normalize([length], chunks is { } c ? [c] : null, DTypes.Of<T>().Size()), DTypes.Of<T>(), start, step));
    }

    /// <summary><paramref name="count"/> evenly spaced values from start to stop (inclusive unless <paramref name="endpoint"/> is false).</summary>
    public static NDArray<double> Linspace(double start, double stop, long count, bool endpoint = true, long? chunks = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var divisions = endpoint ? count - 1 : count;
        var step = divisions > 0 ? (stop - start) / divisions : 0;
        return new(new RampNode(count, ChunkGrid.Normalize([count], chunks is { } c ? [c] : null, 8), DType.Float64, start, step));
    }

    /// <summary>
    /// An in-memory array, cut into chunks and scattered to the workers (one future per chunk).
    /// </summary>
    /// <param name="client">The cluster's client.</param>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The shape (its size must be the data's length).</param>
    /// <param name="chunks">Chunk length per axis.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    public static async Task<NDArray<T>> FromArrayAsync<T>(Client client, T[] data, long[] shape, long[]? chunks = null, CancellationToken cancellationToken = default) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(client);
        var dense = new Dense<T>(data, shape);
        var chunking = ChunkGrid.Normalize(dense.Shape, chunks, DTypes.Of<T>().Size());
        var blocks = Split(dense, chunking);
        var futures = await client.ScatterAsync<Array>((IEnumerable<Array>)blocks, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new(new StoredNode(dense.Shape, chunking, DTypes.Of<T>(), futures, Node.TokenOf("from-array", string.Join(",", futures.Select(f => f.Key)))));
    }

    /// <summary>An in-memory array, cut into chunks and scattered.</summary>
    public static Task<NDArray<T>> FromArrayAsync<T>(Client client, Dense<T> data, long[]? chunks = null, CancellationToken cancellationToken = default) where T : unmanaged =>
        FromArrayAsync(client, data.Data, data.Shape, chunks, cancellationToken);

    /// <summary>A 2-D .NET array, cut into chunks and scattered.</summary>
    public static Task<NDArray<T>> FromArrayAsync<T>(Client client, T[,] data, long[]? chunks = null, CancellationToken cancellationToken = default) where T : unmanaged
    {
        var flat = new T[data.Length];
        var i = 0;
        foreach (var x in data) flat[i++] = x;
        return FromArrayAsync(client, flat, [data.GetLongLength(0), data.GetLongLength(1)], chunks, cancellationToken);
    }

    /// <summary>The row-major blocks of an in-memory array.</summary>
    internal static Array[] Split<T>(Dense<T> dense, long[][] chunks) where T : unmanaged
    {
        var rank = dense.Rank;
        var count = ChunkGrid.BlockCount(chunks);
        var blocks = new Array[count];
        var strides = Shapes.Strides(dense.Shape);
        var starts = chunks.Select(ChunkGrid.Starts).ToArray();
        for (long b = 0; b < count; b++)
        {
            var coords = ChunkGrid.BlockCoords(chunks, b);
            var shape = ChunkGrid.BlockShape(chunks, coords);
            var block = new T[Shapes.Size(shape)];
            blocks[b] = block;
            if (block.Length == 0) continue;
            if (rank == 0)
            {
                block[0] = dense.Data[0];
                continue;
            }

            var run = (int)shape[rank - 1];
            var idx = new long[rank];
            for (var row = 0; row < block.Length / run; row++)
            {
                long offset = 0;
                for (var k = 0; k < rank; k++) offset += (starts[k][coords[k]] + (k < rank - 1 ? idx[k] : 0)) * strides[k];
                dense.Data.AsSpan(checked((int)offset), run).CopyTo(block.AsSpan(row * run));
                for (var k = rank - 2; k >= 0; k--)
                {
                    if (++idx[k] < shape[k]) break;
                    idx[k] = 0;
                }
            }
        }

        return blocks;
    }

    /// <summary>An array whose blocks are futures of flat <c>T[]</c>s (row-major block order, each of its chunk's size).</summary>
    /// <exception cref="ArgumentException">The number of futures is not the number of blocks.</exception>
    public static NDArray<T> FromFutures<T>(IReadOnlyList<Future<T[]>> blocks, long[] shape, long[][] chunks) where T : unmanaged
    {
        var checkedChunks = ChunkGrid.Check(shape, chunks);
        if (blocks.Count != ChunkGrid.BlockCount(checkedChunks)) throw new ArgumentException($"{blocks.Count} futures for {ChunkGrid.BlockCount(checkedChunks)} blocks", nameof(blocks));
        return new(new FuturesNode((long[])shape.Clone(), checkedChunks, DTypes.Of<T>(), [.. blocks], Node.TokenOf("futures", string.Join(",", blocks.Select(b => b.Key)))));
    }

    /// <summary>An array whose blocks are Delayed calls giving flat <c>T[]</c>s (row-major block order).</summary>
    /// <exception cref="ArgumentException">The number of calls is not the number of blocks.</exception>
    public static NDArray<T> FromDelayed<T>(IReadOnlyList<Delayed<T[]>> blocks, long[] shape, long[][] chunks) where T : unmanaged
    {
        var checkedChunks = ChunkGrid.Check(shape, chunks);
        if (blocks.Count != ChunkGrid.BlockCount(checkedChunks)) throw new ArgumentException($"{blocks.Count} delayed values for {ChunkGrid.BlockCount(checkedChunks)} blocks", nameof(blocks));
        return new(new DelayedNode((long[])shape.Clone(), checkedChunks, DTypes.Of<T>(), [.. blocks], Node.TokenOf("delayed", string.Join(",", blocks.Select(b => b.Key)))));
    }

    /// <summary>
    /// An array whose element at each index is <paramref name="function"/>(index), computed block by
    /// block on the workers (NumPy's fromfunction, one call per element).
    /// </summary>
    public static NDArray<T> FromFunction<T>(Func<long[], T> function, long[] shape, long[]? chunks = null) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(function);
        var chunking = ChunkGrid.Normalize(shape, chunks, DTypes.Of<T>().Size());
        return new(new UserNode("from-function", (long[])shape.Clone(), chunking, DTypes.Of<T>(), [], function, static (info, _, user) =>
        {
            var function = (Func<long[], T>)user;
            var rank = info.Length / 2;
            var blockShape = info.AsSpan(0, rank).ToArray();
            var start = info.AsSpan(rank, rank).ToArray();
            var result = new T[Shapes.Size(blockShape)];
            var index = new long[rank];
            for (long e = 0; e < result.Length; e++)
            {
                var rest = e;
                for (var k = rank - 1; k >= 0; k--)
                {
                    index[k] = start[k] + rest % blockShape[k];
                    rest /= blockShape[k];
                }

                result[e] = function((long[])index.Clone());
            }

            return result;
        }, block => BlockInfo(chunking, block), Node.TokenOf("from-function", Guid.NewGuid(), shape, chunking)));
    }

    /// <summary>A block's shape then its start, per axis.</summary>
    internal static long[] BlockInfo(long[][] chunks, long block)
    {
        var coords = ChunkGrid.BlockCoords(chunks, block);
        var starts = chunks.Select(ChunkGrid.Starts).ToArray();
        return [.. ChunkGrid.BlockShape(chunks, coords), .. coords.Select((c, k) => starts[k][c])];
    }

    /// <summary>Elements of <paramref name="a"/> where <paramref name="condition"/> holds, else of <paramref name="b"/> (broadcast).</summary>
    public static NDArray<T> Where<T>(NDArray<bool> condition, NDArray<T> a, NDArray<T> b) where T : unmanaged
    {
        var (nodes, shape, chunks) = Elementwise.Align(condition.Node, a.Node, b.Node);
        return new(new ElementwiseNode(ElementwiseKind.Where, 0, a.DType, nodes, shape, chunks));
    }

    /// <summary>Elements of <paramref name="a"/> where <paramref name="condition"/> holds, else <paramref name="b"/>.</summary>
    public static NDArray<T> Where<T>(NDArray<bool> condition, NDArray<T> a, T b) where T : unmanaged => Where(condition, a, NDArray<T>.Scalar(b));

    /// <summary>Arrays joined along an existing axis.</summary>
    public static NDArray<T> Concatenate<T>(IReadOnlyList<NDArray<T>> arrays, int axis = 0) where T : unmanaged =>
        new(Structure.Concatenate(arrays.Select(a => a.Node).ToArray(), axis));

    /// <summary>Arrays of one shape stacked along a new axis.</summary>
    public static NDArray<T> Stack<T>(IReadOnlyList<NDArray<T>> arrays, int axis = 0) where T : unmanaged
    {
        if (arrays.Count == 0) throw new ArgumentException("nothing to stack", nameof(arrays));
        var first = arrays[0].Node;
        foreach (var a in arrays)
        {
            if (!a.Node.Shape.AsSpan().SequenceEqual(first.Shape)) throw new ArgumentException($"stack needs arrays of one shape: ({Shapes.Format(first.Shape)}) and ({Shapes.Format(a.Node.Shape)})", nameof(arrays));
        }

        axis = Shapes.Axis(axis, first.Rank + 1);
        return new(Structure.Concatenate(arrays.Select(a => Structure.ExpandDims(a.Node, axis)).ToArray(), axis));
    }

    /// <summary>Element-wise minimum (NaN if either is).</summary>
    public static NDArray<T> Minimum<T>(NDArray<T> a, NDArray<T> b) where T : unmanaged => NDArray<T>.Binary(BinaryOp.Minimum, a, b);

    /// <summary>Element-wise maximum (NaN if either is).</summary>
    public static NDArray<T> Maximum<T>(NDArray<T> a, NDArray<T> b) where T : unmanaged => NDArray<T>.Binary(BinaryOp.Maximum, a, b);

    /// <summary>Element-wise power.</summary>
    public static NDArray<T> Power<T>(NDArray<T> a, NDArray<T> b) where T : unmanaged => NDArray<T>.Binary(BinaryOp.Power, a, b);

    /// <summary>Every element to a scalar power.</summary>
    public static NDArray<T> Power<T>(NDArray<T> a, T b) where T : unmanaged => NDArray<T>.Binary(BinaryOp.Power, a, NDArray<T>.Scalar(b));

    /// <summary>Element-wise arctangent of a/b with the quadrant.</summary>
    public static NDArray<T> Atan2<T>(NDArray<T> a, NDArray<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NDArray<T>.Binary(BinaryOp.Atan2, a, b);

    /// <summary>Element-wise absolute value.</summary>
    public static NDArray<T> Abs<T>(NDArray<T> x) where T : unmanaged, INumber<T> => x.Unary(UnaryOp.Abs);

    /// <summary>Element-wise square.</summary>
    public static NDArray<T> Square<T>(NDArray<T> x) where T : unmanaged, INumber<T> => x.Unary(UnaryOp.Square);

    /// <summary>Element-wise sign (-1, 0, 1).</summary>
    public static NDArray<T> Sign<T>(NDArray<T> x) where T : unmanaged, INumber<T> => x.Unary(UnaryOp.Sign);

    /// <summary>Element-wise square root.</summary>
    public static NDArray<T> Sqrt<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Sqrt);

    /// <summary>Element-wise eˣ.</summary>
    public static NDArray<T> Exp<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Exp);

    /// <summary>Element-wise eˣ - 1.</summary>
    public static NDArray<T> Expm1<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Expm1);

    /// <summary>Element-wise natural logarithm.</summary>
    public static NDArray<T> Log<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Log);

    /// <summary>Element-wise ln(1 + x).</summary>
    public static NDArray<T> Log1p<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Log1p);

    /// <summary>Element-wise base-10 logarithm.</summary>
    public static NDArray<T> Log10<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Log10);

    /// <summary>Element-wise base-2 logarithm.</summary>
    public static NDArray<T> Log2<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Log2);

    /// <summary>Element-wise sine.</summary>
    public static NDArray<T> Sin<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Sin);

    /// <summary>Element-wise cosine.</summary>
    public static NDArray<T> Cos<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Cos);

    /// <summary>Element-wise tangent.</summary>
    public static NDArray<T> Tan<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Tan);

    /// <summary>Element-wise hyperbolic tangent.</summary>
    public static NDArray<T> Tanh<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Tanh);

    /// <summary>Element-wise floor.</summary>
    public static NDArray<T> Floor<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Floor);

    /// <summary>Element-wise ceiling.</summary>
    public static NDArray<T> Ceil<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Ceiling);

    /// <summary>Element-wise rounding to the nearest integer, halves to even (NumPy's rint/round).</summary>
    public static NDArray<T> Round<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.Unary(UnaryOp.Round);

    /// <summary>The same array in other chunks (a chunk length per axis; -1 the whole axis).</summary>
    public static NDArray<T> Rechunk<T>(this NDArray<T> x, params long[] chunks) where T : unmanaged =>
        new(Structure.Rechunk(x.Node, ChunkGrid.Normalize(x.Node.Shape, chunks, x.DType.Size())));

    /// <summary>The same array in explicit chunks per axis.</summary>
    public static NDArray<T> Rechunk<T>(this NDArray<T> x, long[][] chunks) where T : unmanaged => new(Structure.Rechunk(x.Node, chunks));

    /// <summary>A slice per axis (start, stop, step), NumPy's bounds rules; missing axes are whole.</summary>
    public static NDArray<T> Slice<T>(this NDArray<T> x, params (long? Start, long? Stop, long Step)[] slices) where T : unmanaged =>
        new(Structure.Slice(x.Node, slices));

    /// <summary>A slice per axis with C# ranges (steps of 1): <c>x.Slice(2..10, ..)</c>.</summary>
    public static NDArray<T> Slice<T>(this NDArray<T> x, params Range[] ranges) where T : unmanaged =>
        new(Structure.Slice(x.Node, ranges.Select(r => (
            r.Start.IsFromEnd ? -(long)r.Start.Value : (long?)r.Start.Value,
            r.End.IsFromEnd ? (r.End.Value == 0 ? null : -(long)r.End.Value) : (long?)r.End.Value,
            1L)).ToArray()));

    /// <summary>Axes reversed, or permuted (output axis k is input axis axes[k]).</summary>
    public static NDArray<T> Transpose<T>(this NDArray<T> x, params int[] axes) where T : unmanaged =>
        new(Structure.Transpose(x.Node, axes.Length == 0 ? Enumerable.Range(0, x.Rank).Reverse().ToArray() : axes));

    /// <summary>A new shape (one dimension may be -1), when the chunks allow it without moving data.</summary>
    /// <exception cref="ArgumentException">The size differs, or the chunks do not divide the new shape: rechunk first.</exception>
    public static NDArray<T> Reshape<T>(this NDArray<T> x, params long[] shape) where T : unmanaged => new(Structure.Reshape(x.Node, shape));

    /// <summary>
    /// A user function per block: it gets the block (a <see cref="Dense{T}"/>) and returns the
    /// output block, of the same shape (or <paramref name="chunks"/> given per axis).
    /// </summary>
    public static NDArray<TOut> MapBlocks<T, TOut>(this NDArray<T> x, Func<Dense<T>, Dense<TOut>> function, long[][]? chunks = null, long[]? shape = null)
        where T : unmanaged where TOut : unmanaged
    {
        ArgumentNullException.ThrowIfNull(function);
        var outChunks = chunks is null ? x.Node.Chunks : ChunkGrid.Check(shape ?? chunks.Select(c => c.Sum()).ToArray(), chunks);
        if (ChunkGrid.BlockCount(outChunks) != x.Node.BlockCount) throw new ArgumentException($"MapBlocks: {ChunkGrid.BlockCount(outChunks)} output blocks for {x.Node.BlockCount} input blocks", nameof(chunks));
        var outShape = outChunks.Select(c => c.Sum()).ToArray();
        var inChunks = x.Node.Chunks;
        var inRank = x.Rank;
        var outRank = outShape.Length;
        return new(new UserNode("map-blocks", outShape, outChunks, DTypes.Of<TOut>(), [x.Node], function, (info, blocks, user) =>
        {
            var function = (Func<Dense<T>, Dense<TOut>>)user;
            var inShape = info.AsSpan(0, inRank).ToArray();
            var expected = info.AsSpan(inRank, outRank).ToArray();
            var result = function(new Dense<T>((T[])blocks[0], inShape));
            if (!result.Shape.AsSpan().SequenceEqual(expected)) throw new InvalidOperationException($"MapBlocks function returned a block of shape ({Shapes.Format(result.Shape)}) where ({Shapes.Format(expected)}) was declared");
            return result.Data;
        }, block => [.. ChunkGrid.BlockShape(inChunks, ChunkGrid.BlockCoords(inChunks, block)), .. ChunkGrid.BlockShape(outChunks, ChunkGrid.BlockCoords(outChunks, block))],
            Node.TokenOf("map-blocks", x.Node, Guid.NewGuid())));
    }
}

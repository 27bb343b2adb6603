using Shoal.Arrays.Kernels;

namespace Shoal.Arrays.Graph;

/// <summary>Blocks that exist already: scattered arrays, persisted results, futures.</summary>
internal sealed class StoredNode(long[] shape, long[][] chunks, DType dtype, Future<Array>[] blocks, string token)
    : Node(shape, chunks, dtype, "array", token)
{
    public Future<Array>[] Blocks { get; } = blocks;
}

/// <summary>Blocks computed by Delayed calls (each a T[] of its block's elements), persisted when computed.</summary>
internal sealed class DelayedNode(long[] shape, long[][] chunks, DType dtype, Delayed[] blocks, string token)
    : Node(shape, chunks, dtype, "from-delayed", token)
{
    public Delayed[] Blocks { get; } = blocks;
}

/// <summary>Blocks computed by futures the caller made (each a T[] of its block's elements).</summary>
internal sealed class FuturesNode(long[] shape, long[][] chunks, DType dtype, Future[] blocks, string token)
    : Node(shape, chunks, dtype, "from-futures", token)
{
    public Future[] Blocks { get; } = blocks;
}

/// <summary>Random numbers of one distribution; each block's stream keyed by the seed and the block index.</summary>
internal sealed class RandomNode(long[] shape, long[][] chunks, DType dtype, Distribution distribution, double a, double b, ulong seed)
    : Node(shape, chunks, dtype, distribution == Distribution.Uniform ? "uniform" : "normal", TokenOf("random", shape, chunks, dtype, distribution, a, b, seed))
{
    public Distribution Distribution { get; } = distribution;
    public double A { get; } = a;
    public double B { get; } = b;
    public ulong Seed { get; } = seed;
    public override bool Fusable => true;
}

/// <summary>One value everywhere (Full, Zeros, Ones, and scalars in expressions).</summary>
internal sealed class ConstNode(long[] shape, long[][] chunks, DType dtype, double value, long integer)
    : Node(shape, chunks, dtype, "full", TokenOf("full", shape, chunks, dtype, value, integer))
{
    public double Value { get; } = value;
    public long Integer { get; } = integer;
    public override bool Fusable => true;
    public override bool Cheap => true;
}

/// <summary><c>start + step·i</c> along a 1-D array (Arange, Linspace).</summary>
internal sealed class RampNode(long length, long[][] chunks, DType dtype, double start, double step)
    : Node([length], chunks, dtype, "arange", TokenOf("ramp", length, chunks, dtype, start, step))
{
    public double Start { get; } = start;
    public double Step { get; } = step;
    public override bool Fusable => true;
    public override bool Cheap => true;
}

/// <summary>The kinds of element-wise node.</summary>
internal enum ElementwiseKind : byte
{
    Unary, Binary, Compare, Where, Cast,
}

/// <summary>An element-wise operation over broadcast inputs whose chunks agree (after rechunking).</summary>
internal sealed class ElementwiseNode : Node
{
    public ElementwiseNode(ElementwiseKind kind, byte op, DType dtype, Node[] inputs, long[] shape, long[][] chunks)
        : base(shape, chunks, dtype, Names(kind, op), TokenOf("ew", kind, op, dtype, inputs))
    {
        Kind = kind;
        Op = op;
        Args = inputs;
    }

    public ElementwiseKind Kind { get; }
    public byte Op { get; }
    public Node[] Args { get; }
    public override IReadOnlyList<Node> Inputs => Args;
    public override bool Fusable => true;

    private static string Names(ElementwiseKind kind, byte op) => kind switch
    {
        ElementwiseKind.Unary => ((UnaryOp)op).ToString().ToLowerInvariant(),
        ElementwiseKind.Binary => ((BinaryOp)op).ToString().ToLowerInvariant(),
        ElementwiseKind.Compare => ((CompareOp)op).ToString().ToLowerInvariant(),
        ElementwiseKind.Where => "where",
        _ => "astype",
    };
}

/// <summary>
/// A reduction over some axes. When every reduced axis is one chunk and the operation folds
/// element-wise (sum, prod, min, max), it is computed inside kernels (fusable); otherwise as a
/// tree: a partial per block (fused with the element-wise steps before it), partials merged
/// <see cref="SplitEvery"/> at a time, the last merge finishing the result.
/// </summary>
internal sealed class ReduceNode : Node
{
    public ReduceNode(Node input, ReduceOp op, int[] axes, bool keepDims, DType dtype, MomentsResult moments, double ddof, int splitEvery)
        : base(OutShape(input.Shape, axes, keepDims), OutChunks(input.Chunks, axes, keepDims), dtype, NameOf(op, moments),
            TokenOf("reduce", input, op, axes, keepDims, dtype, moments, ddof))
    {
        Input = input;
        Op = op;
        Axes = axes;
        KeepDims = keepDims;
        Moments = moments;
        Ddof = ddof;
        SplitEvery = splitEvery;
    }

    public Node Input { get; }
    public ReduceOp Op { get; }
    public int[] Axes { get; }
    public bool KeepDims { get; }
    public MomentsResult Moments { get; }
    public double Ddof { get; }
    public int SplitEvery { get; }
    public override IReadOnlyList<Node> Inputs => [Input];

    /// <summary>Computed in kernels: each reduced axis is whole in one chunk (and not empty).</summary>
    public bool InChunk => Op is ReduceOp.Sum or ReduceOp.Prod or ReduceOp.Min or ReduceOp.Max
        && Axes.All(a => Input.Chunks[a].Length == 1 && Input.Shape[a] > 0)
        && Accumulators.AccType(Op, Input.DType) == DType;

    public override bool Fusable => InChunk;

    private static string NameOf(ReduceOp op, MomentsResult moments) => op == ReduceOp.Moments ? moments.ToString().ToLowerInvariant() : op.ToString().ToLowerInvariant();

    private static long[] OutShape(long[] shape, int[] axes, bool keepDims) =>
        keepDims ? shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray() : shape.Where((_, i) => !axes.Contains(i)).ToArray();

    private static long[][] OutChunks(long[][] chunks, int[] axes, bool keepDims) =>
        keepDims ? chunks.Select((c, i) => axes.Contains(i) ? new long[] { 1 } : c).ToArray() : chunks.Where((_, i) => !axes.Contains(i)).ToArray();
}

/// <summary>ArgMin/ArgMax over one axis or all (flattened): partials of (value, index) merged in a tree.</summary>
internal sealed class ArgReduceNode(Node input, bool max, int? axis, int splitEvery)
    : Node(axis is { } a ? input.Shape.Where((_, i) => i != a).ToArray() : [], axis is { } b ? input.Chunks.Where((_, i) => i != b).ToArray() : [],
        DType.Int64, max ? "argmax" : "argmin", TokenOf("arg", input, max, axis))
{
    public Node Input { get; } = input;
    public bool Max { get; } = max;
    public int? Axis { get; } = axis;
    public int SplitEvery { get; } = splitEvery;
    public override IReadOnlyList<Node> Inputs => [Input];
}

/// <summary>A piece of an assembled block: a strided region of one input block, placed in the output block.</summary>
/// <param name="Input">Which input node.</param>
/// <param name="Block">The input block (linear index).</param>
/// <param name="SourceStart">Start in the input block, per input axis.</param>
/// <param name="SourceStep">Step in the input block, per input axis.</param>
/// <param name="Count">Elements per output axis.</param>
/// <param name="DestStart">Start in the output block, per output axis.</param>
internal sealed record Piece(int Input, long Block, long[] SourceStart, long[] SourceStep, long[] Count, long[] DestStart);

/// <summary>
/// A node whose blocks are copied together from regions of input blocks: slicing, rechunking,
/// transposing (<see cref="Permutation"/>: output axis k is input axis Permutation[k]).
/// </summary>
internal sealed class AssembleNode(string name, long[] shape, long[][] chunks, Node[] inputs, int[] permutation, Func<long, IReadOnlyList<Piece>> pieces, string token)
    : Node(shape, chunks, inputs[0].DType, name, token)
{
    public Node[] Args { get; } = inputs;
    public int[] Permutation { get; } = permutation;
    public Func<long, IReadOnlyList<Piece>> Pieces { get; } = pieces;
    public override IReadOnlyList<Node> Inputs => Args;
}

/// <summary>
/// A node each of whose blocks is one block of an input, unchanged in memory (a reshape that the
/// chunks allow, concatenation, stacking): no task at all.
/// </summary>
internal sealed class ViewNode(string name, long[] shape, long[][] chunks, Node[] inputs, Func<long, (int Input, long Block)> source, string token)
    : Node(shape, chunks, inputs[0].DType, name, token)
{
    public Node[] Args { get; } = inputs;
    public Func<long, (int Input, long Block)> Source { get; } = source;
    public override IReadOnlyList<Node> Inputs => Args;
}

/// <summary>A 2-D matrix product: block (i, j) = Σₖ A(i, k)·B(k, j), one task per output block.</summary>
internal sealed class MatMulNode(Node a, Node b)
    : Node([a.Shape[0], b.Shape[1]], [a.Chunks[0], b.Chunks[1]], a.DType, "matmul", TokenOf("matmul", a, b))
{
    public Node A { get; } = a;
    public Node B { get; } = b;
    public override IReadOnlyList<Node> Inputs => [A, B];
}

/// <summary>A user function per block (MapBlocks, FromFunction).</summary>
internal sealed class UserNode(string name, long[] shape, long[][] chunks, DType dtype, Node[] inputs, Delegate user, Func<long[], Array[], Delegate, Array> function, Func<long, long[]> blockArgument, string token)
    : Node(shape, chunks, dtype, name, token)
{
    public Node[] Args { get; } = inputs;
    /// <summary>The caller's delegate (captured by the task itself, so that its assembly ships with it).</summary>
    public Delegate User { get; } = user;
    /// <summary>Runs on a worker: the block argument, the input blocks and the caller's delegate to the output block.</summary>
    public Func<long[], Array[], Delegate, Array> Function { get; } = function;
    /// <summary>What the task gets besides the input blocks, per output block (its shape and offset).</summary>
    public Func<long, long[]> BlockArgument { get; } = blockArgument;
    public override IReadOnlyList<Node> Inputs => Args;
}

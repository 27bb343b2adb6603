using Shoal.Arrays.Kernels;

namespace Shoal.Arrays.Graph;

/// <summary>
/// Builds the fused kernel of one block: walks up from the root through fusable nodes that only
/// this consumer uses (element-wise steps, generators, in-chunk reductions), mapping each node's
/// axes onto the kernel's coordinates (broadcast axes get stride 0), and stops at anything
/// stored or shared, which becomes an input (a dependency of the task).
/// </summary>
internal sealed class KernelBuilder
{
    private readonly Lowering _lowering;
    private readonly List<KNode> _nodes = [];
    private readonly List<long> _coordSizes = [];
    private readonly List<(KNode Node, int[] Map, long[] BlockShape)> _leaves = [];
    private readonly List<Future<Array>> _inputs = [];
    private readonly Dictionary<string, int> _inputIndex = new(StringComparer.Ordinal);

    private KernelBuilder(Lowering lowering) => _lowering = lowering;

    /// <summary>The kernel that computes block <paramref name="block"/> of <paramref name="root"/>.</summary>
    public static (KernelProgram Program, Future<Array>[] Inputs) Store(Lowering lowering, Node root, int[] block)
    {
        var b = new KernelBuilder(lowering);
        var shape = ChunkGrid.BlockShape(root.Chunks, block);
        var map = b.AddCoords(shape);
        var index = b.Visit(root, block, map, isRoot: true);
        var program = b.Finish(index, shape.Length);
        program.OutStrides = Shapes.Strides(shape);
        program.OutCells = Shapes.Size(shape);
        return (program, [.. b._inputs]);
    }

    /// <summary>The kernel that folds block <paramref name="block"/> of the reduction's input into a partial.</summary>
    public static (KernelProgram Program, Future<Array>[] Inputs) Partial(Lowering lowering, Node input, int[] block, ReduceOp op, int[] axes)
    {
        var b = new KernelBuilder(lowering);
        var shape = ChunkGrid.BlockShape(input.Chunks, block);
        var map = b.AddCoords(shape);
        var index = b.Visit(input, block, map, isRoot: true);
        var type = input.DType;
        // What the partial folds: float64 for moments, int64 for integer sums, bool for counts.
        var want = op switch
        {
            ReduceOp.Moments => DType.Float64,
            ReduceOp.CountNonZero or ReduceOp.Any or ReduceOp.All => DType.Bool,
            _ => Accumulators.AccType(op, type),
        };
        if (want != type)
        {
            index = want == DType.Bool
                ? b.Add(new KNode { Kind = KNodeKind.Compare, DType = DType.Bool, Op = (byte)CompareOp.NotEqual, Args = [index, b.Add(new KNode { Kind = KNodeKind.Const, DType = type })] })
                : b.Add(new KNode { Kind = KNodeKind.Cast, DType = want, Args = [index] });
        }

        var program = b.Finish(index, shape.Length);
        program.Reduce = true;
        program.ReduceOp = op;
        program.AccType = Accumulators.AccType(op, want == DType.Bool && op == ReduceOp.CountNonZero ? DType.Bool : want);
        var partialShape = shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray();
        var strides = Shapes.Strides(partialShape);
        foreach (var a in axes) strides[a] = 0;
        program.OutStrides = strides;
        program.OutCells = Shapes.Size(partialShape);
        return (program, [.. b._inputs]);
    }

    private int[] AddCoords(long[] shape)
    {
        var map = new int[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            map[i] = _coordSizes.Count;
            _coordSizes.Add(shape[i]);
        }

        return map;
    }

    private int Add(KNode node)
    {
        _nodes.Add(node);
        return _nodes.Count - 1;
    }

    private KernelProgram Finish(int root, int spaceDims)
    {
        var coords = _coordSizes.Count;
        foreach (var (node, map, blockShape) in _leaves)
        {
            var strides = new long[coords];
            var rowStrides = Shapes.Strides(blockShape);
            for (var axis = 0; axis < map.Length; axis++)
            {
                if (map[axis] >= 0) strides[map[axis]] += rowStrides[axis];
            }

            node.Strides = strides;
        }

        return new KernelProgram { CoordSizes = [.. _coordSizes], SpaceDims = spaceDims, Nodes = [.. _nodes], Root = root };
    }

    private int Visit(Node n, int[] block, int[] map, bool isRoot)
    {
        if (!n.Fusable || !(isRoot || n.Cheap || _lowering.Consumers(n) <= 1)) return Boundary(n, block, map);
        switch (n)
        {
            case RandomNode r:
            {
                var leaf = new KNode { Kind = KNodeKind.Random, DType = r.DType, Op = (byte)r.Distribution, A = r.A, B = r.B, Key = CounterRandom.ChunkKey(r.Seed, ChunkGrid.Linear(r.Chunks, block)) };
                _leaves.Add((leaf, map, ChunkGrid.BlockShape(r.Chunks, block)));
                return Add(leaf);
            }
            case ConstNode c:
                return Add(new KNode { Kind = KNodeKind.Const, DType = c.DType, A = c.Value, L = c.Integer });
            case RampNode ramp:
            {
                var leaf = new KNode { Kind = KNodeKind.Ramp, DType = ramp.DType, A = ramp.Start, B = ramp.Step, L = ramp.StartsOf(0)[block[0]] };
                _leaves.Add((leaf, map, ChunkGrid.BlockShape(ramp.Chunks, block)));
                return Add(leaf);
            }
            case ElementwiseNode e when SqrtComparison(e) is { } rewritten:
                return rewritten(block, map);
            case ElementwiseNode e:
            {
                var args = new int[e.Args.Length];
                for (var i = 0; i < args.Length; i++)
                {
                    var (inBlock, inMap) = Broadcast(e, block, map, e.Args[i]);
                    args[i] = Visit(e.Args[i], inBlock, inMap, isRoot: false);
                }

                var kind = e.Kind switch
                {
                    ElementwiseKind.Unary => KNodeKind.Unary,
                    ElementwiseKind.Binary => KNodeKind.Binary,
                    ElementwiseKind.Compare => KNodeKind.Compare,
                    ElementwiseKind.Where => KNodeKind.Where,
                    _ => KNodeKind.Cast,
                };
                return Add(new KNode { Kind = kind, DType = e.DType, Op = e.Op, Args = args });
            }
            case ReduceNode red:
            {
                var input = red.Input;
                var inBlock = new int[input.Rank];
                var inMap = new int[input.Rank];
                var kept = 0;
                for (var i = 0; i < input.Rank; i++)
                {
                    if (red.Axes.Contains(i))
                    {
                        inMap[i] = _coordSizes.Count;
                        _coordSizes.Add(input.Shape[i]);
                        if (red.KeepDims) kept++;
                        continue;
                    }

                    inMap[i] = map[kept];
                    inBlock[i] = block[kept];
                    kept++;
                }

                var loopCoords = red.Axes.Select(a => inMap[a]).ToArray();
                var arg = Visit(input, inBlock, inMap, isRoot: false);
                if (input.DType != red.DType) arg = Add(new KNode { Kind = KNodeKind.Cast, DType = red.DType, Args = [arg] });
                return Add(new KNode { Kind = KNodeKind.InnerReduce, DType = red.DType, Op = (byte)red.Op, Args = [arg], Coords = loopCoords });
            }
            default:
                return Boundary(n, block, map);
        }
    }

    /// <summary>
    /// <c>√x ⋚ c</c> as <c>x ⋚ m</c> when x cannot be negative (a sum of squares, a square, an
    /// absolute value) and c is a constant ≥ 0: the norm test of π without a square root per
    /// element. Exact, not approximate: m is the last (or first) double whose square root is
    /// still on the same side of c, found by stepping from c² one ulp at a time (√ is correctly
    /// rounded and monotonic); NaN compares false both ways.
    /// </summary>
    private Func<int[], int[], int>? SqrtComparison(ElementwiseNode e)
    {
        if (e.Kind != ElementwiseKind.Compare || e.Args[0] is not ElementwiseNode { Kind: ElementwiseKind.Unary } sqrt || sqrt.Op != (byte)UnaryOp.Sqrt) return null;
        if (e.Args[1] is not ConstNode { Rank: 0 } c || sqrt.DType != DType.Float64 || !(c.Value >= 0) || double.IsInfinity(c.Value)) return null;
        if (_lowering.Consumers(sqrt) > 1 || !NonNegative(sqrt.Args[0])) return null;
        var op = (CompareOp)e.Op;
        double bound;
        switch (op)
        {
            case CompareOp.LessOrEqual or CompareOp.Greater:
                // Largest m with √m ≤ c: √x ≤ c ⇔ x ≤ m, and √x > c ⇔ x > m.
                bound = c.Value * c.Value;
                while (Math.Sqrt(bound) > c.Value) bound = Math.BitDecrement(bound);
                while (Math.Sqrt(Math.BitIncrement(bound)) <= c.Value) bound = Math.BitIncrement(bound);
                break;
            case CompareOp.Less or CompareOp.GreaterOrEqual:
                // Smallest m with √m ≥ c: √x < c ⇔ x < m, and √x ≥ c ⇔ x ≥ m.
                bound = c.Value * c.Value;
                while (Math.Sqrt(bound) < c.Value) bound = Math.BitIncrement(bound);
                while (Math.Sqrt(Math.BitDecrement(bound)) >= c.Value) bound = Math.BitDecrement(bound);
                break;
            default:
                return null;
        }

        return (block, map) =>
        {
            var x = Visit(sqrt.Args[0], block, map, isRoot: false);
            var limit = Add(new KNode { Kind = KNodeKind.Const, DType = DType.Float64, A = bound, L = (long)bound });
            return Add(new KNode { Kind = KNodeKind.Compare, DType = DType.Bool, Op = (byte)op, Args = [x, limit] });
        };
    }

    private static bool NonNegative(Node n) => n switch
    {
        ElementwiseNode { Kind: ElementwiseKind.Unary } u => u.Op is (byte)UnaryOp.Square or (byte)UnaryOp.Abs,
        ReduceNode { Op: ReduceOp.Sum or ReduceOp.Max or ReduceOp.Min } r => NonNegative(r.Input),
        _ => false,
    };

    /// <summary>An input's block and axis map under a consumer's block (NumPy broadcasting, right-aligned).</summary>
    private static (int[] Block, int[] Map) Broadcast(Node consumer, int[] block, int[] map, Node input)
    {
        var offset = consumer.Rank - input.Rank;
        var inBlock = new int[input.Rank];
        var inMap = new int[input.Rank];
        for (var j = 0; j < input.Rank; j++)
        {
            var axis = j + offset;
            if (input.Shape[j] == 1 && consumer.Shape[axis] != 1)
            {
                inMap[j] = -1;
                continue;
            }

            inMap[j] = map[axis];
            inBlock[j] = block[axis];
        }

        return (inBlock, inMap);
    }

    private int Boundary(Node n, int[] block, int[] map)
    {
        var future = _lowering.Block(n, ChunkGrid.Linear(n.Chunks, block));
        if (!_inputIndex.TryGetValue(future.Key, out var input))
        {
            input = _inputs.Count;
            _inputs.Add(future);
            _inputIndex[future.Key] = input;
        }

        var leaf = new KNode { Kind = KNodeKind.Input, DType = n.DType, Input = input };
        _leaves.Add((leaf, map, ChunkGrid.BlockShape(n.Chunks, block)));
        return Add(leaf);
    }
}

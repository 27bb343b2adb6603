using Shoal.Arrays.Kernels;

namespace Shoal.Arrays.Graph;

/// <summary>
/// Turns array expressions into Shoal tasks, one block at a time and only the blocks asked for
/// (so what no output needs is never submitted: Dask's cull), fusing element-wise chains and the
/// reductions after them into one task per block (Dask's blockwise fusion). Keys are
/// <c>name-token-block</c>, so identical expressions share tasks.
/// </summary>
internal sealed class Lowering
{
    private static readonly Func<byte[], Future<Array>[], Array> Run = ChunkTasks.Run;

    private readonly Client _client;
    private readonly Dictionary<Node, int> _consumers = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, Future<Array>> _blocks = new(StringComparer.Ordinal);

    public Lowering(Client client, IEnumerable<Node> outputs)
    {
        _client = client;
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>(outputs);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            foreach (var input in n.Inputs)
            {
                _consumers[input] = _consumers.GetValueOrDefault(input) + 1;
                stack.Push(input);
            }
        }
    }

    private readonly List<Future<Array>> _created = [];

    /// <summary>
    /// Releases this client's hold on every future this lowering made except <paramref name="keep"/>
    /// (the outputs): the scheduler keeps an intermediate only while a waiting task needs it, so
    /// partials and fused inputs leave the workers' memory as soon as their consumers ran.
    /// </summary>
    public void ReleaseIntermediates(IEnumerable<Future<Array>> keep)
    {
        var kept = new HashSet<Future<Array>>(keep, ReferenceEqualityComparer.Instance);
        foreach (var f in _created)
        {
            if (!kept.Contains(f)) f.Dispose();
        }
    }

    /// <summary>Releases every future this lowering made (after the outputs were fetched).</summary>
    public void ReleaseAll()
    {
        foreach (var f in _created) f.Dispose();
    }

    /// <summary>How many times the graph being computed uses this node as an input.</summary>
    public int Consumers(Node n) => _consumers.GetValueOrDefault(n);

    /// <summary>The tasks submitted so far (for tests and the graph-size benchmark).</summary>
    public int Submitted { get; private set; }

    /// <summary>All blocks of a node, in row-major block order.</summary>
    public Future<Array>[] Blocks(Node n)
    {
        var result = new Future<Array>[n.BlockCount];
        for (long b = 0; b < result.Length; b++) result[b] = Block(n, b);
        return result;
    }

    public Future<Array> Block(Node n, long block)
    {
        switch (n)
        {
            case StoredNode s:
                return s.Blocks[block];
            case ViewNode v:
            {
                var (input, source) = v.Source(block);
                return Block(v.Args[input], source);
            }
        }

        var key = n.BlockKey(block);
        if (_blocks.TryGetValue(key, out var known)) return known;
        var future = n switch
        {
            ReduceNode r when !r.InChunk => Reduce(r, block),
            _ when n.Fusable => Kernel(n, block),
            FuturesNode f => AsBlock(f.Blocks[block], key),
            DelayedNode d => FromDelayed(d, block, key),
            ArgReduceNode a => ArgReduce(a, block),
            AssembleNode a => Assemble(a, block),
            MatMulNode m => MatMul(m, block),
            UserNode u => User(u, block),
            _ => throw new InvalidOperationException($"cannot compute {n}"),
        };
        _blocks[key] = future;
        return future;
    }

    private static SubmitOptions Options(string key) => new() { Key = key };

    private Future<Array> Submit(string key, byte[] spec, Future<Array>[] inputs)
    {
        Submitted++;
        var future = _client.Submit(Run, spec, inputs, Options(key));
        _created.Add(future);
        return future;
    }

    private Future<Array> FromDelayed(DelayedNode d, long block, string key)
    {
        var persisted = d.Blocks[block] switch
        {
            Delayed<double[]> x => (Future)_client.Persist(x),
            Delayed<float[]> x => _client.Persist(x),
            Delayed<long[]> x => _client.Persist(x),
            Delayed<int[]> x => _client.Persist(x),
            Delayed<short[]> x => _client.Persist(x),
            Delayed<byte[]> x => _client.Persist(x),
            Delayed<bool[]> x => _client.Persist(x),
            var other => throw new ArgumentException($"a Delayed block must give a flat array of the element type, not {other.ValueType.Name}"),
        };
        return AsBlock(persisted, key);
    }

    /// <summary>A caller's future of a flat T[] as a block (a task that passes the same array on).</summary>
    private Future<Array> AsBlock(Future future, string key)
    {
        var block = future switch
        {
            Future<double[]> f => Cast(f, key),
            Future<float[]> f => Cast(f, key),
            Future<long[]> f => Cast(f, key),
            Future<int[]> f => Cast(f, key),
            Future<short[]> f => Cast(f, key),
            Future<byte[]> f => Cast(f, key),
            Future<bool[]> f => Cast(f, key),
            _ => throw new ArgumentException($"an array block must be a flat array of the element type, not {future.ValueType.Name}"),
        };
        _created.Add(block);
        return block;
    }

    private Future<Array> Cast<T>(Future<T[]> future, string key) => _client.Submit(static (T[] x) => (Array)x, future, Options(key));

    private Future<Array> Kernel(Node n, long block)
    {
        var (program, inputs) = KernelBuilder.Store(this, n, ChunkGrid.BlockCoords(n.Chunks, block));
        return Submit(n.BlockKey(block), ChunkTasks.KernelSpec(program), inputs);
    }

    private Future<Array> Reduce(ReduceNode r, long block)
    {
        var input = r.Input;
        var outCoords = ChunkGrid.BlockCoords(r.Chunks, block);
        // The input blocks that fold into this output block: kept axes fixed, reduced axes all.
        var fixedCoords = new int[input.Rank];
        var kept = 0;
        for (var i = 0; i < input.Rank; i++)
        {
            if (r.Axes.Contains(i))
            {
                if (r.KeepDims) kept++;
                continue;
            }

            fixedCoords[i] = outCoords[kept++];
        }

        var partials = new List<Future<Array>>();
        foreach (var coords in Combinations(input, fixedCoords, r.Axes))
        {
            var inBlock = ChunkGrid.Linear(input.Chunks, coords);
            var (program, inputs) = KernelBuilder.Partial(this, input, coords, r.Op, r.Axes);
            partials.Add(Submit($"{r.Name}-partial-{r.Token}-{inBlock}", ChunkTasks.KernelSpec(program), inputs));
        }

        return Tree(r.Name, r.Token, block, partials, r.SplitEvery, last => ChunkTasks.CombineSpec(r.Op, last, r.Moments, r.Ddof),
            needsFinish: r.Op == ReduceOp.Moments);
    }

    /// <summary>Merges partials <paramref name="splitEvery"/> at a time until one is left; the last merge finishes.</summary>
    private Future<Array> Tree(string name, string token, long block, List<Future<Array>> partials, int splitEvery, Func<bool, byte[]> spec, bool needsFinish)
    {
        var level = 0;
        while (partials.Count > 1 || needsFinish && level == 0)
        {
            var next = new List<Future<Array>>();
            var last = partials.Count <= splitEvery;
            for (var i = 0; i < partials.Count; i += splitEvery)
            {
                var group = partials.GetRange(i, Math.Min(splitEvery, partials.Count - i)).ToArray();
                next.Add(Submit($"{name}-agg-{token}-{block}-{level}-{i / splitEvery}", spec(last), group));
            }

            partials = next;
            level++;
        }

        return partials[0];
    }

    private static IEnumerable<int[]> Combinations(Node input, int[] fixedCoords, int[] axes)
    {
        var coords = (int[])fixedCoords.Clone();
        while (true)
        {
            yield return (int[])coords.Clone();
            var k = axes.Length - 1;
            for (; k >= 0; k--)
            {
                var a = axes[k];
                if (++coords[a] < input.Chunks[a].Length) break;
                coords[a] = 0;
            }

            if (k < 0) yield break;
        }
    }

    private Future<Array> ArgReduce(ArgReduceNode a, long block)
    {
        var input = a.Input;
        var outCoords = ChunkGrid.BlockCoords(a.Chunks, block);
        var fixedCoords = new int[input.Rank];
        int[] axes;
        if (a.Axis is { } axis)
        {
            axes = [axis];
            for (int i = 0, k = 0; i < input.Rank; i++)
            {
                if (i != axis) fixedCoords[i] = outCoords[k++];
            }
        }
        else
        {
            axes = Enumerable.Range(0, input.Rank).ToArray();
        }

        var partials = new List<Future<Array>>();
        foreach (var coords in Combinations(input, fixedCoords, axes))
        {
            var inBlock = ChunkGrid.Linear(input.Chunks, coords);
            var shape = ChunkGrid.BlockShape(input.Chunks, coords);
            var start = coords.Select((c, i) => input.StartsOf(i)[c]).ToArray();
            partials.Add(Submit($"{a.Name}-partial-{a.Token}-{inBlock}", ChunkTasks.ArgPartialSpec(a.Max, a.Axis ?? -1, input.DType, shape, start, input.Shape), [Block(input, inBlock)]));
        }

        return Tree(a.Name, a.Token, block, partials, a.SplitEvery, last => ChunkTasks.ArgCombineSpec(a.Max, last), needsFinish: true);
    }

    private Future<Array> Assemble(AssembleNode a, long block)
    {
        var pieces = a.Pieces(block);
        var inputs = new List<Future<Array>>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var shapes = new List<long[]>();
        var placed = new List<(int Input, Piece Piece)>();
        foreach (var piece in pieces)
        {
            var source = a.Args[piece.Input];
            var future = Block(source, piece.Block);
            if (!index.TryGetValue(future.Key, out var i))
            {
                i = inputs.Count;
                inputs.Add(future);
                shapes.Add(ChunkGrid.BlockShape(source.Chunks, ChunkGrid.BlockCoords(source.Chunks, piece.Block)));
                index[future.Key] = i;
            }

            placed.Add((i, piece));
        }

        var outShape = ChunkGrid.BlockShape(a.Chunks, ChunkGrid.BlockCoords(a.Chunks, block));
        return Submit(a.BlockKey(block), ChunkTasks.AssembleSpec(a.DType, outShape, a.Permutation, shapes, placed), [.. inputs]);
    }

    /// <summary>
    /// Block (i, j) of A·B: one task per k multiplies A(i, k) by B(k, j) where both blocks live,
    /// and the products are summed in a tree (as Dask's tensordot), so a tall-skinny XᵀX never
    /// pulls X onto one worker.
    /// </summary>
    private Future<Array> MatMul(MatMulNode m, long block)
    {
        var coords = ChunkGrid.BlockCoords(m.Chunks, block);
        var kBlocks = m.A.Chunks[1].Length;
        var rows = m.A.Chunks[0][coords[0]];
        var columns = m.B.Chunks[1][coords[1]];
        var products = new List<Future<Array>>(kBlocks);
        for (var k = 0; k < kBlocks; k++)
        {
            var a = Block(m.A, ChunkGrid.Linear(m.A.Chunks, [coords[0], k]));
            var b = Block(m.B, ChunkGrid.Linear(m.B.Chunks, [k, coords[1]]));
            var key = kBlocks == 1 ? m.BlockKey(block) : $"{m.Name}-product-{m.Token}-{block}-{k}";
            products.Add(Submit(key, ChunkTasks.MatMulSpec(m.DType, rows, columns, [m.A.Chunks[1][k]]), [a, b]));
        }

        return Tree(m.Name, m.Token, block, products, NDArray.DefaultSplitEvery, last => ChunkTasks.CombineSpec(ReduceOp.Sum, last, MomentsResult.Mean, 0), needsFinish: false);
    }

    private Future<Array> User(UserNode u, long block)
    {
        var coords = ChunkGrid.BlockCoords(u.Chunks, block);
        var inputs = u.Args.Select(arg => Block(arg, ChunkGrid.Linear(arg.Chunks, coords))).ToArray();
        var function = u.Function;
        var user = u.User;
        Submitted++;
        var future = _client.Submit((long[] arg, Future<Array>[] blocks) => function(arg, ChunkTasks.Values(blocks), user), u.BlockArgument(block), inputs, Options(u.BlockKey(block)));
        _created.Add(future);
        return future;
    }
}

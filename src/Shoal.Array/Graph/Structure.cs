namespace Shoal.Arrays.Graph;

/// <summary>Nodes that move elements between blocks: rechunk, slice, transpose, reshape, concatenate.</summary>
internal static class Structure
{
    /// <summary>The same array in other chunks: each new block copied from the old blocks it overlaps.</summary>
    public static Node Rechunk(Node input, long[][] chunks)
    {
        chunks = ChunkGrid.Check(input.Shape, chunks);
        if (chunks.Select((c, i) => ChunkGrid.SameChunks(c, input.Chunks[i])).All(x => x)) return input;
        var rank = input.Rank;
        var newStarts = chunks.Select(ChunkGrid.Starts).ToArray();
        var oldStarts = Enumerable.Range(0, rank).Select(input.StartsOf).ToArray();
        IReadOnlyList<Piece> Pieces(long block)
        {
            var coords = ChunkGrid.BlockCoords(chunks, block);
            // Per axis: the old chunks overlapping [start, end) and the overlap in each.
            var perAxis = new List<(int Old, long SrcStart, long Count, long DstStart)>[rank];
            for (var k = 0; k < rank; k++)
            {
                perAxis[k] = [];
                var start = newStarts[k][coords[k]];
                var end = newStarts[k][coords[k] + 1];
                for (var o = 0; o < input.Chunks[k].Length; o++)
                {
                    var os = oldStarts[k][o];
                    var oe = oldStarts[k][o + 1];
                    var s = Math.Max(start, os);
                    var e = Math.Min(end, oe);
                    if (e > s || (end == start && o == 0)) perAxis[k].Add((o, s - os, Math.Max(0, e - s), s - start));
                }
            }

            var pieces = new List<Piece>();
            foreach (var combo in Product(perAxis))
            {
                pieces.Add(new Piece(0, ChunkGrid.Linear(input.Chunks, combo.Select(c => c.Old).ToArray()),
                    combo.Select(c => c.SrcStart).ToArray(), Enumerable.Repeat(1L, rank).ToArray(),
                    combo.Select(c => c.Count).ToArray(), combo.Select(c => c.DstStart).ToArray()));
            }

            return pieces;
        }

        return new AssembleNode("rechunk", input.Shape, chunks, [input], Enumerable.Range(0, rank).ToArray(), Pieces, Node.TokenOf("rechunk", input, chunks));
    }

    private static IEnumerable<T[]> Product<T>(List<T>[] lists)
    {
        if (lists.Any(l => l.Count == 0)) yield break;
        var idx = new int[lists.Length];
        while (true)
        {
            yield return lists.Select((l, k) => l[idx[k]]).ToArray();
            var k2 = lists.Length - 1;
            for (; k2 >= 0; k2--)
            {
                if (++idx[k2] < lists[k2].Count) break;
                idx[k2] = 0;
            }

            if (k2 < 0) yield break;
        }
    }

    /// <summary>
    /// A slice per axis (start, stop, positive step, NumPy's rules for negative and out-of-range
    /// bounds). Each input chunk's selected elements become one output chunk.
    /// </summary>
    public static Node Slice(Node input, (long? Start, long? Stop, long Step)[] slices)
    {
        if (slices.Length > input.Rank) throw new ArgumentException($"{slices.Length} slices for an array of {input.Rank} axes");
        var rank = input.Rank;
        var starts = new long[rank];
        var steps = new long[rank];
        var counts = new long[rank];
        for (var k = 0; k < rank; k++)
        {
            var (start, stop, step) = k < slices.Length ? slices[k] : (null, null, 1);
            if (step <= 0) throw new ArgumentException($"slice step {step} on axis {k}: only positive steps are supported");
            var n = input.Shape[k];
            var s = start is { } a ? (a < 0 ? Math.Max(0, a + n) : Math.Min(a, n)) : 0;
            var e = stop is { } b ? (b < 0 ? Math.Max(0, b + n) : Math.Min(b, n)) : n;
            starts[k] = s;
            steps[k] = step;
            counts[k] = e > s ? (e - s + step - 1) / step : 0;
        }

        // Output chunks: per axis, the selected elements of each input chunk (empty ones dropped).
        var chunks = new long[rank][];
        var sources = new List<(int Old, long SrcStart, long Count)>[rank];
        for (var k = 0; k < rank; k++)
        {
            sources[k] = [];
            var os = input.StartsOf(k);
            for (var o = 0; o < input.Chunks[k].Length; o++)
            {
                // First selected index >= os[o]: starts + j·step.
                var jFirst = os[o] <= starts[k] ? 0 : (os[o] - starts[k] + steps[k] - 1) / steps[k];
                var jEnd = Math.Min(counts[k], os[o + 1] <= starts[k] ? 0 : (os[o + 1] - starts[k] + steps[k] - 1) / steps[k]);
                if (jEnd > jFirst) sources[k].Add((o, starts[k] + jFirst * steps[k] - os[o], jEnd - jFirst));
            }

            if (sources[k].Count == 0) sources[k].Add((0, 0, 0));
            chunks[k] = sources[k].Select(s => s.Count).ToArray();
        }

        var shape = counts;
        IReadOnlyList<Piece> Pieces(long block)
        {
            var coords = ChunkGrid.BlockCoords(chunks, block);
            var parts = coords.Select((c, k) => sources[k][c]).ToArray();
            return [new Piece(0, ChunkGrid.Linear(input.Chunks, parts.Select(p => p.Old).ToArray()), parts.Select(p => p.SrcStart).ToArray(), (long[])steps.Clone(), parts.Select(p => p.Count).ToArray(), new long[rank])];
        }

        return new AssembleNode("getitem", shape, chunks, [input], Enumerable.Range(0, rank).ToArray(), Pieces,
            Node.TokenOf("slice", input, starts, steps, counts));
    }

    /// <summary>Axes permuted: output axis k is input axis <paramref name="axes"/>[k].</summary>
    public static Node Transpose(Node input, int[] axes)
    {
        var rank = input.Rank;
        if (axes.Length != rank) throw new ArgumentException($"{axes.Length} axes given to transpose an array of {rank} axes");
        var perm = axes.Select(a => Shapes.Axis(a, rank)).ToArray();
        if (perm.Distinct().Count() != rank) throw new ArgumentException($"axes ({string.Join(", ", axes)}) are not a permutation of the {rank} axes");
        var shape = perm.Select(a => input.Shape[a]).ToArray();
        var chunks = perm.Select(a => input.Chunks[a]).ToArray();
        IReadOnlyList<Piece> Pieces(long block)
        {
            var coords = ChunkGrid.BlockCoords(chunks, block);
            var inCoords = new int[rank];
            for (var k = 0; k < rank; k++) inCoords[perm[k]] = coords[k];
            return [new Piece(0, ChunkGrid.Linear(input.Chunks, inCoords), new long[rank], Enumerable.Repeat(1L, rank).ToArray(), ChunkGrid.BlockShape(chunks, coords), new long[rank])];
        }

        return new AssembleNode("transpose", shape, chunks, [input], perm, Pieces, Node.TokenOf("transpose", input, perm));
    }

    /// <summary>
    /// A new shape with the same elements in row-major order, without moving data: allowed when
    /// every chunk of the input is a whole number of rows of the output, i.e. each input block is
    /// one contiguous run of the flat array and the output's first axis can be cut at the same
    /// places. Otherwise a clear error saying to rechunk.
    /// </summary>
    public static Node Reshape(Node input, long[] shape)
    {
        var size = Shapes.Size(input.Shape);
        var unknown = Array.IndexOf(shape, -1L);
        shape = (long[])shape.Clone();
        if (unknown >= 0)
        {
            var known = shape.Where((d, i) => i != unknown).Aggregate(1L, (a, d) => a * d);
            if (known == 0 || size % known != 0) throw new ArgumentException($"cannot reshape an array of size {size} into shape ({Shapes.Format(shape)})");
            shape[unknown] = size / known;
        }

        if (Shapes.Size(shape) != size) throw new ArgumentException($"cannot reshape an array of size {size} into shape ({Shapes.Format(shape)})");
        if (input.Rank == 0 || shape.Length == 0 || input.BlockCount == 1)
        {
            var whole = shape.Select(d => new[] { d }).ToArray();
            var single = input.BlockCount == 1 ? input : Rechunk(input, input.Shape.Select(d => new[] { d }).ToArray());
            return new ViewNode("reshape", shape, whole, [single], _ => (0, 0), Node.TokenOf("reshape", input, shape));
        }

        // Every input axis after the first must be one chunk, so that each block is a contiguous flat run.
        for (var k = 1; k < input.Rank; k++)
        {
            if (input.Chunks[k].Length != 1)
                throw new ArgumentException($"reshape of ({Shapes.Format(input.Shape)}) to ({Shapes.Format(shape)}): axis {k} has {input.Chunks[k].Length} chunks, so blocks are not contiguous runs of the result; Rechunk so that only axis 0 is split");
        }

        var inRow = Shapes.Size(input.Shape.AsSpan(1));
        var outRow = Shapes.Size(shape.AsSpan(1));
        var outChunks0 = new List<long>();
        foreach (var c in input.Chunks[0])
        {
            var elements = c * inRow;
            if (outRow == 0 || elements % outRow != 0)
                throw new ArgumentException($"reshape of ({Shapes.Format(input.Shape)}) to ({Shapes.Format(shape)}): a chunk of {elements} elements is not a whole number of rows of {outRow}; Rechunk axis 0 first");
            outChunks0.Add(elements / outRow);
        }

        var chunks = new long[shape.Length][];
        chunks[0] = [.. outChunks0];
        for (var k = 1; k < shape.Length; k++) chunks[k] = [shape[k]];
        return new ViewNode("reshape", shape, chunks, [input], block => (0, block), Node.TokenOf("reshape", input, shape));
    }

    /// <summary>Arrays joined along an axis: each block is a block of one input (no task).</summary>
    public static Node Concatenate(Node[] inputs, int axis)
    {
        if (inputs.Length == 0) throw new ArgumentException("nothing to concatenate");
        var first = inputs[0];
        axis = Shapes.Axis(axis, first.Rank);
        foreach (var x in inputs)
        {
            if (x.DType != first.DType) throw new ArgumentException($"cannot concatenate {first.DType} with {x.DType}: use AsType first");
            if (x.Rank != first.Rank || x.Shape.Where((d, i) => i != axis && d != first.Shape[i]).Any())
                throw new ArgumentException($"shapes ({Shapes.Format(first.Shape)}) and ({Shapes.Format(x.Shape)}) differ off axis {axis}, so they cannot be concatenated along it");
        }

        // Other axes take the first input's chunks.
        var aligned = inputs.Select(x => Rechunk(x, x.Chunks.Select((c, i) => i == axis ? c : first.Chunks[i]).ToArray())).ToArray();
        var shape = (long[])first.Shape.Clone();
        shape[axis] = inputs.Sum(x => x.Shape[axis]);
        var chunks = first.Chunks.Select(c => (long[])c.Clone()).ToArray();
        chunks[axis] = aligned.SelectMany(x => x.Chunks[axis]).ToArray();
        var owner = aligned.SelectMany((x, i) => x.Chunks[axis].Select((_, j) => (Input: i, Local: j))).ToArray();
        return new ViewNode("concatenate", shape, chunks, aligned, block =>
        {
            var coords = ChunkGrid.BlockCoords(chunks, block);
            var (input, local) = owner[coords[axis]];
            coords[axis] = local;
            return (input, ChunkGrid.Linear(aligned[input].Chunks, coords));
        }, Node.TokenOf("concatenate", aligned, axis));
    }

    /// <summary>An axis of length 1 inserted (no data moved).</summary>
    public static Node ExpandDims(Node input, int axis)
    {
        axis = Shapes.Axis(axis, input.Rank + 1);
        var shape = input.Shape.ToList();
        shape.Insert(axis, 1);
        var chunks = input.Chunks.ToList();
        chunks.Insert(axis, [1]);
        var c = chunks.ToArray();
        return new ViewNode("expand-dims", [.. shape], c, [input], block =>
        {
            var coords = ChunkGrid.BlockCoords(c, block).ToList();
            coords.RemoveAt(axis);
            return (0, ChunkGrid.Linear(input.Chunks, coords.ToArray()));
        }, Node.TokenOf("expand", input, axis));
    }
}

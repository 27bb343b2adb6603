using System.Runtime.InteropServices;

namespace Shoal.Arrays.Kernels;

/// <summary>
/// Runs a <see cref="KernelProgram"/> over its chunk: tile by tile along the last coordinate of
/// the iteration space, each node writing at most <see cref="TileLength"/> values into a buffer of
/// its own, so a chain of element-wise steps and the reduction after it touch memory once per
/// tile instead of once per step per chunk (the chunk itself is never stored when it is reduced).
/// </summary>
internal sealed class KernelEvaluator
{
    /// <summary>
    /// Elements per tile: a node's float64 buffer is 16 KiB, so a kernel's few live buffers stay in
    /// L1/L2. On the pi kernel (AMD EPYC, AVX-512) 1024-8192 were within noise of each other
    /// (590-650 M samples per CPU second); below that the per-tile calls start to count.
    /// </summary>
    public const int TileLength = 2048;

    private readonly KernelProgram _p;
    private readonly Array[] _inputs;
    private readonly byte[][] _buffers;
    private readonly long[] _coord;
    private readonly double[] _scratch = new double[TileLength];
    private int _runAxis;
    private long _runStart;
    private int _runLength;

    public KernelEvaluator(KernelProgram program, Array[] inputs)
    {
        _p = program;
        _inputs = inputs;
        _buffers = new byte[program.Nodes.Length][];
        for (var i = 0; i < _buffers.Length; i++) _buffers[i] = new byte[TileLength * 8];
        _coord = new long[program.CoordSizes.Length];
    }

    /// <summary>Runs the kernel: the stored chunk, or the reduction's partial.</summary>
    public Array Run()
    {
        var p = _p;
        var root = p.Nodes[p.Root];
        var output = p.Reduce ? Accumulators.Create(p.ReduceOp, p.AccType, p.OutCells) : Array.CreateInstance(root.DType.ClrType(), p.OutCells);
        var outBytes = Accumulators.Bytes(output);
        var space = p.SpaceDims;
        for (var k = 0; k < space; k++)
        {
            if (p.CoordSizes[k] == 0) return output;
        }

        var size = root.DType.Size();
        if (space == 0)
        {
            // A 0-d space: one element.
            _runAxis = -1;
            _runLength = 1;
            EmitTile(root, outBytes, output, 0, size, allInOne: true);
            return output;
        }

        _runAxis = space - 1;
        var runSize = p.CoordSizes[_runAxis];
        var outRunStride = p.OutStrides[_runAxis];
        while (true)
        {
            for (long start = 0; start < runSize; start += TileLength)
            {
                _runStart = start;
                _runLength = (int)Math.Min(TileLength, runSize - start);
                long cell = start * outRunStride;
                for (var k = 0; k < _runAxis; k++) cell += _coord[k] * p.OutStrides[k];
                EmitTile(root, outBytes, output, cell, size, allInOne: outRunStride == 0);
            }

            // Odometer over the other space coordinates.
            var axis = _runAxis - 1;
            for (; axis >= 0; axis--)
            {
                if (++_coord[axis] < p.CoordSizes[axis]) break;
                _coord[axis] = 0;
            }

            if (axis < 0) break;
        }

        return output;
    }

    private void EmitTile(KNode root, Span<byte> outBytes, Array output, long cell, int size, bool allInOne)
    {
        var values = IsConst(_p.Root) ? Broadcast(_p.Root, _runLength) : Eval(_p.Root);
        if (_p.Reduce) Accumulators.Fold(_p.ReduceOp, root.DType, values, output, cell, allInOne, _scratch);
        else values.CopyTo(outBytes.Slice(checked((int)(cell * size)), values.Length));
    }

    /// <summary>The node's values over the current tile (its buffer, or the input's own memory).</summary>
    private ReadOnlySpan<byte> Eval(int index)
    {
        var n = _p.Nodes[index];
        var size = n.DType.Size();
        var length = _runLength;
        var dst = _buffers[index].AsSpan(0, length * size);
        switch (n.Kind)
        {
            case KNodeKind.Input:
            {
                var (start, stride) = Position(n);
                var input = Accumulators.Bytes(_inputs[n.Input]);
                if (stride == 1) return input.Slice(checked((int)(start * size)), length * size);
                for (var j = 0; j < length; j++) input.Slice(checked((int)((start + j * stride) * size)), size).CopyTo(dst[(j * size)..]);
                return dst;
            }
            case KNodeKind.Random:
            {
                var (start, stride) = Position(n);
                if (n.DType == DType.Float32) CounterRandom.Uniform(n.Key, start, stride, n.A, n.B, TileMath.As<float>(dst));
                else if (n.Op == (byte)Distribution.Uniform) CounterRandom.Uniform(n.Key, start, stride, n.A, n.B, TileMath.As<double>(dst));
                else CounterRandom.Normal(n.Key, start, stride, n.A, n.B, TileMath.As<double>(dst));
                return dst;
            }
            case KNodeKind.Const:
                return _buffers[index].AsSpan(0, size); // filled once, read as a broadcast scalar
            case KNodeKind.Ramp:
            {
                var (start, stride) = Position(n);
                for (var j = 0; j < length; j++)
                {
                    var v = n.A + n.B * (n.L + start + j * stride);
                    TileMath.Fill(n.DType, v, (long)v, dst.Slice(j * size, size));
                }

                return dst;
            }
            case KNodeKind.Unary:
                TileMath.Unary((UnaryOp)n.Op, n.DType, Eval(n.Args[0]), dst);
                return dst;
            case KNodeKind.Binary:
            {
                var (a0, a1) = (n.Args[0], n.Args[1]);
                ReadOnlySpan<byte> x, y;
                bool scalarY;
                if (IsConst(a0) && !IsConst(a1) && Commutes((BinaryOp)n.Op))
                {
                    x = Eval(a1);
                    y = Eval(a0);
                    scalarY = true;
                }
                else
                {
                    x = IsConst(a0) ? Broadcast(a0, length) : Eval(a0);
                    y = Eval(a1);
                    scalarY = IsConst(a1);
                }

                TileMath.Binary((BinaryOp)n.Op, n.DType, x, y, scalarY, dst);
                return dst;
            }
            case KNodeKind.Compare:
            {
                var argType = _p.Nodes[n.Args[0]].DType;
                var x = IsConst(n.Args[0]) ? Broadcast(n.Args[0], length) : Eval(n.Args[0]);
                var y = Eval(n.Args[1]);
                TileMath.Compare((CompareOp)n.Op, argType, x, y, IsConst(n.Args[1]), dst);
                return dst;
            }
            case KNodeKind.Where:
            {
                var c = IsConst(n.Args[0]) ? Broadcast(n.Args[0], length) : Eval(n.Args[0]);
                var a = Eval(n.Args[1]);
                var b = Eval(n.Args[2]);
                TileMath.Where(n.DType, c, a, IsConst(n.Args[1]), b, IsConst(n.Args[2]), dst);
                return dst;
            }
            case KNodeKind.Cast:
            {
                var from = _p.Nodes[n.Args[0]].DType;
                var x = IsConst(n.Args[0]) ? Broadcast(n.Args[0], length) : Eval(n.Args[0]);
                TileMath.Cast(from, n.DType, x, dst);
                return dst;
            }
            case KNodeKind.InnerReduce:
                return InnerReduce(n, dst);
            default:
                throw new InvalidOperationException($"unknown kernel node {n.Kind}");
        }
    }

    private static bool Commutes(BinaryOp op) => op is BinaryOp.Add or BinaryOp.Multiply or BinaryOp.Minimum or BinaryOp.Maximum;

    private bool IsConst(int index) => _p.Nodes[index].Kind == KNodeKind.Const;

    private ReadOnlySpan<byte> Broadcast(int index, int length)
    {
        var n = _p.Nodes[index];
        var size = n.DType.Size();
        var buffer = _buffers[index];
        TileMath.Fill(n.DType, n.A, n.L, buffer.AsSpan(0, length * size));
        return buffer.AsSpan(0, length * size);
    }

    /// <summary>Loops over the reduction's own coordinates, folding its argument's tiles into <paramref name="dst"/>.</summary>
    private ReadOnlySpan<byte> InnerReduce(KNode n, Span<byte> dst)
    {
        var op = (ReduceOp)n.Op;
        var coords = n.Coords;
        var first = true;
        // Σx² (norms): one fused multiply-add pass instead of a square pass and an add pass.
        var child = _p.Nodes[n.Args[0]];
        var squares = op == ReduceOp.Sum && child.Kind == KNodeKind.Unary && child.Op == (byte)UnaryOp.Square && child.DType.IsFloat();
        while (true)
        {
            if (squares)
            {
                var v = Eval(child.Args[0]);
                if (first) TileMath.Unary(UnaryOp.Square, n.DType, v, dst);
                else TileMath.SquareAdd(n.DType, v, dst);
                first = false;
                if (!NextCoords(coords)) break;
                continue;
            }

            var x = Eval(n.Args[0]);
            if (first) x.CopyTo(dst);
            else TileMath.Binary(op switch { ReduceOp.Sum => BinaryOp.Add, ReduceOp.Prod => BinaryOp.Multiply, ReduceOp.Min => BinaryOp.Minimum, _ => BinaryOp.Maximum }, n.DType, dst, x, false, dst);
            first = false;
            if (!NextCoords(coords)) break;
        }

        return dst;
    }

    /// <summary>Advances an odometer over the given coordinates; false (all back at 0) when done.</summary>
    private bool NextCoords(int[] coords)
    {
        for (var k = coords.Length - 1; k >= 0; k--)
        {
            if (++_coord[coords[k]] < _p.CoordSizes[coords[k]]) return true;
            _coord[coords[k]] = 0;
        }

        return false;
    }

    /// <summary>The leaf's element offset at the tile's start and its stride along the tile.</summary>
    private (long Start, long Stride) Position(KNode n)
    {
        long start = 0;
        var strides = n.Strides;
        for (var k = 0; k < strides.Length; k++)
        {
            if (k == _runAxis) start += _runStart * strides[k];
            else start += _coord[k] * strides[k];
        }

        return (start, _runAxis >= 0 ? strides[_runAxis] : 0);
    }

    /// <summary>Fills the constants' buffers once.</summary>
    public KernelEvaluator Prepare()
    {
        for (var i = 0; i < _p.Nodes.Length; i++)
        {
            var n = _p.Nodes[i];
            if (n.Kind == KNodeKind.Const) TileMath.Fill(n.DType, n.A, n.L, _buffers[i].AsSpan(0, n.DType.Size()));
        }

        return this;
    }

    /// <summary>The input arrays as spans of bytes (for tests).</summary>
    internal static ReadOnlySpan<byte> BytesOf(Array array) => MemoryMarshal.AsBytes(Accumulators.Bytes(array));
}

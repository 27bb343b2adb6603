using System.Numerics;
using System.Numerics.Tensors;

namespace Shoal.Arrays.Kernels;

/// <summary>
/// What array tasks run on the workers. Every task is the one static function <see cref="Run"/>
/// over a compact binary spec (the kind, then its parameters) and the input blocks, so tasks
/// travel as a few hundred bytes and the function is checked once per process.
/// </summary>
internal static class ChunkTasks
{
    private enum Kind : byte
    {
        Kernel = 1, Combine = 2, Assemble = 3, MatMul = 4, ArgPartial = 5, ArgCombine = 6,
    }

    /// <summary>Runs a task: the spec says what, the inputs are the blocks it depends on.</summary>
    public static Array Run(byte[] spec, Future<Array>[] inputs)
    {
        var values = Values(inputs);
        using var reader = new BinaryReader(new MemoryStream(spec, writable: false));
        return (Kind)reader.ReadByte() switch
        {
            Kind.Kernel => new KernelEvaluator(KernelProgram.Read(reader), values).Prepare().Run(),
            Kind.Combine => Combine(reader, values),
            Kind.Assemble => Assemble(reader, values),
            Kind.MatMul => MatMul(reader, values),
            Kind.ArgPartial => ArgPartial(reader, values[0]),
            Kind.ArgCombine => ArgCombine(reader, values),
            var other => throw new InvalidOperationException($"unknown array task kind {other}"),
        };
    }

    /// <summary>The values of a task's dependencies (bound by Shoal while the task runs).</summary>
    public static Array[] Values(Future<Array>[] inputs)
    {
        var values = new Array[inputs.Length];
        for (var i = 0; i < inputs.Length; i++) values[i] = inputs[i].Result;
        return values;
    }

    /// <summary>A caller's future of a flat T[] as an array block.</summary>
    public static Array AsArray(Future future) => future switch
    {
        Future<double[]> f => f.Result,
        Future<float[]> f => f.Result,
        Future<long[]> f => f.Result,
        Future<int[]> f => f.Result,
        Future<short[]> f => f.Result,
        Future<byte[]> f => f.Result,
        Future<bool[]> f => f.Result,
        _ => throw new ArgumentException($"an array block must be a flat array of the element type, not {future.ValueType.Name}"),
    };

    private static byte[] Spec(Kind kind, Action<BinaryWriter> write)
    {
        var stream = new MemoryStream(256);
        using (var w = new BinaryWriter(stream))
        {
            w.Write((byte)kind);
            write(w);
        }

        return stream.ToArray();
    }

    public static byte[] KernelSpec(KernelProgram program) => Spec(Kind.Kernel, program.Write);

    public static byte[] CombineSpec(ReduceOp op, bool finish, MomentsResult moments, double ddof) => Spec(Kind.Combine, w =>
    {
        w.Write((byte)op);
        w.Write(finish);
        w.Write((byte)moments);
        w.Write(ddof);
    });

    private static Array Combine(BinaryReader r, Array[] partials)
    {
        var op = (ReduceOp)r.ReadByte();
        var finish = r.ReadBoolean();
        var moments = (MomentsResult)r.ReadByte();
        var ddof = r.ReadDouble();
        // Never write into an input: it may be a value other tasks (or the client) also hold.
        var acc = (Array)partials[0].Clone();
        for (var i = 1; i < partials.Length; i++) Accumulators.MergeInto(op, acc, partials[i]);
        return finish ? Accumulators.Finish(op, acc, moments, ddof) : acc;
    }

    public static byte[] AssembleSpec(DType dtype, long[] outShape, int[] permutation, List<long[]> inputShapes, List<(int Input, Graph.Piece Piece)> pieces) => Spec(Kind.Assemble, w =>
    {
        w.Write((byte)dtype);
        KernelProgram.WriteLongs(w, outShape);
        KernelProgram.WriteInts(w, permutation);
        w.Write(inputShapes.Count);
        foreach (var s in inputShapes) KernelProgram.WriteLongs(w, s);
        w.Write(pieces.Count);
        foreach (var (input, p) in pieces)
        {
            w.Write(input);
            KernelProgram.WriteLongs(w, p.SourceStart);
            KernelProgram.WriteLongs(w, p.SourceStep);
            KernelProgram.WriteLongs(w, p.Count);
            KernelProgram.WriteLongs(w, p.DestStart);
        }
    });

    /// <summary>Copies strided regions of input blocks into a new block (slices, rechunks, transposes).</summary>
    private static Array Assemble(BinaryReader r, Array[] inputs)
    {
        var dtype = (DType)r.ReadByte();
        var outShape = KernelProgram.ReadLongs(r);
        var perm = KernelProgram.ReadInts(r);
        var shapes = new long[r.ReadInt32()][];
        for (var i = 0; i < shapes.Length; i++) shapes[i] = KernelProgram.ReadLongs(r);
        var output = Array.CreateInstance(dtype.ClrType(), Shapes.Size(outShape));
        var dst = Accumulators.Bytes(output);
        var size = dtype.Size();
        var outStrides = Shapes.Strides(outShape);
        var rank = outShape.Length;
        var pieces = r.ReadInt32();
        for (var p = 0; p < pieces; p++)
        {
            var input = r.ReadInt32();
            var srcStart = KernelProgram.ReadLongs(r);
            var srcStep = KernelProgram.ReadLongs(r);
            var count = KernelProgram.ReadLongs(r);
            var dstStart = KernelProgram.ReadLongs(r);
            if (count.Any(c => c == 0)) continue;
            var src = Accumulators.Bytes(inputs[input]);
            var inStrides = Shapes.Strides(shapes[input]);
            // Per output axis: element stride in the source (through the permutation) and in the destination.
            var sStride = new long[rank];
            long sBase = 0, dBase = 0;
            for (var k = 0; k < rank; k++)
            {
                var ia = perm[k];
                sStride[k] = srcStep[ia] * inStrides[ia];
                sBase += srcStart[ia] * inStrides[ia];
                dBase += dstStart[k] * outStrides[k];
            }

            if (rank == 0)
            {
                src[..size].CopyTo(dst);
                continue;
            }

            var idx = new long[rank];
            var last = rank - 1;
            var run = count[last];
            var contiguous = sStride[last] == 1;
            while (true)
            {
                long s = sBase, d = dBase;
                for (var k = 0; k < last; k++)
                {
                    s += idx[k] * sStride[k];
                    d += idx[k] * outStrides[k];
                }

                if (contiguous)
                {
                    src.Slice(checked((int)(s * size)), checked((int)(run * size))).CopyTo(dst[checked((int)(d * size))..]);
                }
                else
                {
                    for (long j = 0; j < run; j++) src.Slice(checked((int)((s + j * sStride[last]) * size)), size).CopyTo(dst[checked((int)((d + j) * size))..]);
                }

                var axis = last - 1;
                for (; axis >= 0; axis--)
                {
                    if (++idx[axis] < count[axis]) break;
                    idx[axis] = 0;
                }

                if (axis < 0) break;
            }
        }

        return output;
    }

    public static byte[] MatMulSpec(DType dtype, long rows, long columns, long[] inner) => Spec(Kind.MatMul, w =>
    {
        w.Write((byte)dtype);
        w.Write(rows);
        w.Write(columns);
        KernelProgram.WriteLongs(w, inner);
    });

    private static Array MatMul(BinaryReader r, Array[] inputs)
    {
        var dtype = (DType)r.ReadByte();
        var rows = r.ReadInt64();
        var columns = r.ReadInt64();
        var inner = KernelProgram.ReadLongs(r);
        return dtype.Visit(new MatMulVisitor(inputs, rows, columns, inner));
    }

    private readonly struct MatMulVisitor(Array[] inputs, long rows, long columns, long[] inner) : IDTypeVisitor<Array>
    {
        public Array Number<T>() where T : unmanaged, INumber<T>, IMinMaxValue<T>
        {
            var c = new T[rows * columns];
            var kb = inner.Length;
            for (var k = 0; k < kb; k++)
            {
                var a = (T[])inputs[k];
                var b = (T[])inputs[kb + k];
                var depth = inner[k];
                // Row i of C += A[i, p] · row p of B: contiguous rows, vectorized by TensorPrimitives.
                for (long i = 0; i < rows; i++)
                {
                    var ci = c.AsSpan(checked((int)(i * columns)), checked((int)columns));
                    for (long p = 0; p < depth; p++)
                    {
                        var s = a[i * depth + p];
                        if (s == T.Zero) continue;
                        TensorPrimitives.MultiplyAdd(b.AsSpan(checked((int)(p * columns)), checked((int)columns)), s, ci, ci);
                    }
                }
            }

            return c;
        }
    }

    public static byte[] ArgPartialSpec(bool max, int axis, DType dtype, long[] blockShape, long[] blockStart, long[] fullShape) => Spec(Kind.ArgPartial, w =>
    {
        w.Write(max);
        w.Write(axis);
        w.Write((byte)dtype);
        KernelProgram.WriteLongs(w, blockShape);
        KernelProgram.WriteLongs(w, blockStart);
        KernelProgram.WriteLongs(w, fullShape);
    });

    /// <summary>
    /// (value, index) per output cell of one block, as two float64 planes: the index along the
    /// axis, or the flat index in the whole array (axis -1). The first NaN wins, as in NumPy.
    /// </summary>
    private static Array ArgPartial(BinaryReader r, Array block)
    {
        var max = r.ReadBoolean();
        var axis = r.ReadInt32();
        var dtype = (DType)r.ReadByte();
        var shape = KernelProgram.ReadLongs(r);
        var start = KernelProgram.ReadLongs(r);
        var full = KernelProgram.ReadLongs(r);
        var values = new double[Shapes.Size(shape)];
        TileMath.Cast(dtype, DType.Float64, Accumulators.Bytes(block), Accumulators.Bytes(values));
        var rank = shape.Length;
        var strides = Shapes.Strides(shape);
        var fullStrides = Shapes.Strides(full);
        long cells = axis < 0 ? 1 : values.Length / Math.Max(1, shape[axis]);
        var result = new double[2 * cells];
        result.AsSpan(0, (int)cells).Fill(double.NaN);
        result.AsSpan((int)cells).Fill(-1);
        var coord = new long[rank];
        for (long e = 0; e < values.Length; e++)
        {
            var rest = e;
            for (var k = rank - 1; k >= 0; k--)
            {
                coord[k] = rest % shape[k];
                rest /= shape[k];
            }

            long cell = 0, index = 0;
            if (axis < 0)
            {
                for (var k = 0; k < rank; k++) index += (start[k] + coord[k]) * fullStrides[k];
            }
            else
            {
                index = start[axis] + coord[axis];
                for (var k = 0; k < rank; k++)
                {
                    if (k != axis) cell = cell * shape[k] + coord[k];
                }
            }

            Offer(result, cells, cell, values[e], index, max);
        }

        return result;
    }

    private static void Offer(double[] acc, long cells, long cell, double value, double index, bool max)
    {
        var current = acc[cell];
        var currentIndex = acc[cells + cell];
        bool better;
        if (currentIndex < 0) better = true;
        else if (double.IsNaN(current)) better = double.IsNaN(value) && index < currentIndex;
        else if (double.IsNaN(value)) better = true;
        else if (value == current) better = index < currentIndex;
        else better = max ? value > current : value < current;
        if (!better) return;
        acc[cell] = value;
        acc[cells + cell] = index;
    }

    public static byte[] ArgCombineSpec(bool max, bool finish) => Spec(Kind.ArgCombine, w =>
    {
        w.Write(max);
        w.Write(finish);
    });

    private static Array ArgCombine(BinaryReader r, Array[] partials)
    {
        var max = r.ReadBoolean();
        var finish = r.ReadBoolean();
        var acc = (double[])((double[])partials[0]).Clone();
        var cells = acc.Length / 2;
        foreach (double[] p in partials.Skip(1))
        {
            for (var c = 0; c < cells; c++)
            {
                if (p[cells + c] >= 0) Offer(acc, cells, c, p[c], p[cells + c], max);
            }
        }

        if (!finish) return acc;
        var result = new long[cells];
        for (var c = 0; c < cells; c++) result[c] = (long)acc[cells + c];
        return result;
    }
}

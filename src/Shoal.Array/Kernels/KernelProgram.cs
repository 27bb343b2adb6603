namespace Shoal.Arrays.Kernels;

/// <summary>The kinds of node in a fused kernel.</summary>
internal enum KNodeKind : byte
{
    /// <summary>An element of an input chunk (a materialized dependency).</summary>
    Input,
    /// <summary>A counter-based random number (<see cref="CounterRandom"/>).</summary>
    Random,
    /// <summary>The same value everywhere.</summary>
    Const,
    /// <summary><c>start + step·(offset + position)</c> (arange, linspace).</summary>
    Ramp,
    Unary,
    Binary,
    Compare,
    Where,
    Cast,
    /// <summary>A reduction over axes that lie whole inside the chunk: loops over its own coordinates.</summary>
    InnerReduce,
}

/// <summary>One node of a fused kernel: an element-wise step, a leaf, or an in-chunk reduction.</summary>
internal sealed class KNode
{
    public KNodeKind Kind;
    public DType DType;
    /// <summary>The operator (UnaryOp, BinaryOp, CompareOp, ReduceOp, Distribution), by kind.</summary>
    public byte Op;
    public int[] Args = [];
    /// <summary>Leaves: element stride per kernel coordinate (0 where the leaf is broadcast).</summary>
    public long[] Strides = [];
    /// <summary>Input: which input array; InnerReduce: unused.</summary>
    public int Input;
    /// <summary>Random: low/mean and high/sd; Const: the value (floating); Ramp: start and step.</summary>
    public double A, B;
    /// <summary>Const: the value (integer dtypes); Ramp: the offset of the chunk's first element.</summary>
    public long L;
    /// <summary>Random: the chunk's stream key.</summary>
    public ulong Key;
    /// <summary>InnerReduce: the kernel coordinates it loops over.</summary>
    public int[] Coords = [];
}

/// <summary>
/// A fused kernel: a tree of element-wise nodes over leaves, evaluated tile by tile over an
/// iteration space (the first <see cref="SpaceDims"/> coordinates; tiles run along the last of
/// them), with in-chunk reductions looping over further coordinates. The root's values are
/// either stored (a chunk of the result) or accumulated into the partial of a reduction across
/// chunks (cells addressed by <see cref="OutStrides"/>, 0 on reduced axes).
/// </summary>
internal sealed class KernelProgram
{
    public long[] CoordSizes = [];
    public int SpaceDims;
    public KNode[] Nodes = [];
    public int Root;
    public bool Reduce;
    public ReduceOp ReduceOp;
    /// <summary>The partial's element type (the root's dtype, except Moments: float64 planes).</summary>
    public DType AccType;
    /// <summary>Per space coordinate: stride of the output (stored chunk or partial cells).</summary>
    public long[] OutStrides = [];
    /// <summary>Elements of the stored chunk, or cells of the partial.</summary>
    public long OutCells;

    public void Write(BinaryWriter w)
    {
        WriteLongs(w, CoordSizes);
        w.Write(SpaceDims);
        w.Write(Nodes.Length);
        foreach (var n in Nodes)
        {
            w.Write((byte)n.Kind);
            w.Write((byte)n.DType);
            w.Write(n.Op);
            WriteInts(w, n.Args);
            WriteLongs(w, n.Strides);
            w.Write(n.Input);
            w.Write(n.A);
            w.Write(n.B);
            w.Write(n.L);
            w.Write(n.Key);
            WriteInts(w, n.Coords);
        }

        w.Write(Root);
        w.Write(Reduce);
        w.Write((byte)ReduceOp);
        w.Write((byte)AccType);
        WriteLongs(w, OutStrides);
        w.Write(OutCells);
    }

    public static KernelProgram Read(BinaryReader r)
    {
        var p = new KernelProgram { CoordSizes = ReadLongs(r), SpaceDims = r.ReadInt32() };
        p.Nodes = new KNode[r.ReadInt32()];
        for (var i = 0; i < p.Nodes.Length; i++)
        {
            p.Nodes[i] = new KNode
            {
                Kind = (KNodeKind)r.ReadByte(), DType = (DType)r.ReadByte(), Op = r.ReadByte(), Args = ReadInts(r), Strides = ReadLongs(r),
                Input = r.ReadInt32(), A = r.ReadDouble(), B = r.ReadDouble(), L = r.ReadInt64(), Key = r.ReadUInt64(), Coords = ReadInts(r),
            };
        }

        p.Root = r.ReadInt32();
        p.Reduce = r.ReadBoolean();
        p.ReduceOp = (ReduceOp)r.ReadByte();
        p.AccType = (DType)r.ReadByte();
        p.OutStrides = ReadLongs(r);
        p.OutCells = r.ReadInt64();
        return p;
    }

    internal static void WriteLongs(BinaryWriter w, long[] values)
    {
        w.Write(values.Length);
        foreach (var v in values) w.Write(v);
    }

    internal static void WriteInts(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (var v in values) w.Write(v);
    }

    internal static long[] ReadLongs(BinaryReader r)
    {
        var values = new long[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++) values[i] = r.ReadInt64();
        return values;
    }

    internal static int[] ReadInts(BinaryReader r)
    {
        var values = new int[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++) values[i] = r.ReadInt32();
        return values;
    }
}

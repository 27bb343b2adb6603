using System.Security.Cryptography;
using System.Text;

namespace Shoal.Arrays.Graph;

/// <summary>
/// A node of an array expression: its shape, chunks and dtype, and a token that names it
/// deterministically (from what it computes and its inputs' tokens), so that identical
/// expressions get identical task keys and share their tasks, as Dask's tokenize does.
/// </summary>
internal abstract class Node
{
    protected Node(long[] shape, long[][] chunks, DType dtype, string name, string token)
    {
        Shape = shape;
        Chunks = chunks;
        DType = dtype;
        Name = name;
        Token = token;
    }

    public long[] Shape { get; }

    public long[][] Chunks { get; }

    public DType DType { get; }

    /// <summary>The task group name (the key prefix).</summary>
    public string Name { get; }

    public string Token { get; }

    public int Rank => Shape.Length;

    public virtual IReadOnlyList<Node> Inputs => [];

    /// <summary>Whether kernels may compute this node inside a consumer's task (element-wise, generators, in-chunk reductions).</summary>
    public virtual bool Fusable => false;

    /// <summary>Whether recomputing it in every consumer costs less than storing it (constants and ramps).</summary>
    public virtual bool Cheap => false;

    public long BlockCount => ChunkGrid.BlockCount(Chunks);

    public int NumBlocksOf(int axis) => Chunks[axis].Length;

    /// <summary>Where each chunk of an axis starts (and, last, the axis length).</summary>
    public long[] StartsOf(int axis)
    {
        _starts ??= new long[]?[Rank];
        return _starts[axis] ??= ChunkGrid.Starts(Chunks[axis]);
    }

    private long[]?[]? _starts;

    /// <summary>The key of one block of this node.</summary>
    public string BlockKey(long block) => $"{Name}-{Token}-{block}";

    /// <summary>A 32-hex-digit token of the given parts.</summary>
    public static string TokenOf(params object?[] parts)
    {
        var text = new StringBuilder();
        foreach (var part in parts)
        {
            switch (part)
            {
                case long[] longs: text.Append('[').AppendJoin(',', longs).Append(']'); break;
                case int[] ints: text.Append('[').AppendJoin(',', ints).Append(']'); break;
                case long[][] chunks: foreach (var c in chunks) text.Append('[').AppendJoin(',', c).Append(']'); break;
                case Node node: text.Append(node.Token); break;
                case IEnumerable<Node> nodes: foreach (var n in nodes) text.Append(n.Token).Append(','); break;
                case double d: text.Append(BitConverter.DoubleToInt64Bits(d)); break;
                default: text.Append(System.Convert.ToString(part, System.Globalization.CultureInfo.InvariantCulture)); break;
            }

            text.Append('|');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 16));
    }

    public override string ToString() => $"{Name}({Shapes.Format(Shape)}, {DType})";
}

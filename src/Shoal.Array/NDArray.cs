using System.Numerics;
using Shoal.Arrays.Graph;
using Shoal.Arrays.Kernels;

namespace Shoal.Arrays;

/// <summary>
/// An n-dimensional array cut into chunks, each chunk computed by a task on a Shoal cluster: a
/// lazy expression until <see cref="ComputeAsync"/> or <see cref="Persist"/>. Operations build
/// the expression; chains of element-wise steps and the reduction after them run as one task
/// per chunk (fused), so intermediate chunks are never stored.
/// </summary>
/// <typeparam name="T">bool, byte, short, int, long, float or double.</typeparam>
public sealed partial class NDArray<T> where T : unmanaged
{
    internal NDArray(Node node)
    {
        if (node.DType != DTypes.Of<T>()) throw new InvalidOperationException($"a {node.DType} node is not an array of {typeof(T).Name}");
        Node = node;
    }

    internal Node Node { get; }

    /// <summary>The length of each axis.</summary>
    public long[] Shape => (long[])Node.Shape.Clone();

    /// <summary>The chunk lengths along each axis.</summary>
    public long[][] Chunks => Node.Chunks.Select(c => (long[])c.Clone()).ToArray();

    /// <summary>The element type.</summary>
    public DType DType => Node.DType;

    /// <summary>The number of axes.</summary>
    public int Rank => Node.Rank;

    /// <summary>The number of elements.</summary>
    public long Size => Shapes.Size(Node.Shape);

    /// <summary>The number of chunks along each axis.</summary>
    public int[] NumBlocks => ChunkGrid.NumBlocks(Node.Chunks);

    /// <summary>The deterministic name of this expression (identical expressions share it, and their tasks).</summary>
    public string Name => $"{Node.Name}-{Node.Token}";

    /// <summary>Computes the array and brings it to this process.</summary>
    /// <param name="client">The cluster's client.</param>
    /// <param name="cancellationToken">Cancels waiting (the tasks go on until released).</param>
    public async Task<Dense<T>> ComputeAsync(Client client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var lowering = new Lowering(client, [Node]);
        var futures = lowering.Blocks(Node);
        lowering.ReleaseIntermediates(futures);
        try
        {
            var blocks = await client.GatherAsync(futures, cancellationToken).ConfigureAwait(false);
            return new Dense<T>(Stitch(Node, blocks.Select(b => (T[])b).ToArray()), Node.Shape);
        }
        finally
        {
            lowering.ReleaseAll();
        }
    }

    /// <summary>Computes the array and returns its elements in row-major order.</summary>
    public async Task<T[]> ToArrayAsync(Client client, CancellationToken cancellationToken = default) =>
        (await ComputeAsync(client, cancellationToken).ConfigureAwait(false)).Data;

    /// <summary>Computes a 2-D array as a <c>T[,]</c>.</summary>
    /// <exception cref="InvalidOperationException">The array is not 2-D.</exception>
    public async Task<T[,]> To2DAsync(Client client, CancellationToken cancellationToken = default)
    {
        if (Rank != 2) throw new InvalidOperationException($"an array of {Rank} axes is not 2-D");
        return (await ComputeAsync(client, cancellationToken).ConfigureAwait(false)).To2D();
    }

    /// <summary>Computes a one-element array (a reduction's result) and returns the element.</summary>
    /// <exception cref="InvalidOperationException">The array does not hold exactly one element.</exception>
    public async Task<T> ScalarAsync(Client client, CancellationToken cancellationToken = default)
    {
        if (Size != 1) throw new InvalidOperationException($"an array of shape ({Shapes.Format(Node.Shape)}) is not a scalar");
        return (await ComputeAsync(client, cancellationToken).ConfigureAwait(false)).Scalar();
    }

    /// <summary>
    /// Starts computing the array on the cluster and returns an array over its stored chunks:
    /// later expressions start from them instead of recomputing. Dispose the futures by dropping
    /// the array (they are released when collected) or with <see cref="Release"/>.
    /// </summary>
    public NDArray<T> Persist(Client client)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (Node is StoredNode) return this;
        var lowering = new Lowering(client, [Node]);
        var futures = lowering.Blocks(Node);
        lowering.ReleaseIntermediates(futures);
        return new NDArray<T>(new StoredNode(Node.Shape, Node.Chunks, Node.DType, futures, Node.Token));
    }

    /// <summary>Releases the stored chunks of a persisted or scattered array.</summary>
    public void Release()
    {
        if (Node is not StoredNode s) return;
        foreach (var f in s.Blocks) f.Dispose();
    }

    /// <summary>The chunks' futures (submitting their tasks), in row-major block order.</summary>
    public Future<Array>[] ToFutures(Client client)
    {
        var lowering = new Lowering(client, [Node]);
        var futures = lowering.Blocks(Node);
        lowering.ReleaseIntermediates(futures);
        return futures;
    }

    /// <summary>Joins blocks (row-major block order) into one row-major array.</summary>
    internal static T[] Stitch(Node node, T[][] blocks)
    {
        if (blocks.Length == 1) return blocks[0];
        var result = new T[Shapes.Size(node.Shape)];
        var strides = Shapes.Strides(node.Shape);
        var rank = node.Rank;
        for (long b = 0; b < blocks.Length; b++)
        {
            var coords = ChunkGrid.BlockCoords(node.Chunks, b);
            var shape = ChunkGrid.BlockShape(node.Chunks, coords);
            var block = blocks[b];
            if (block.Length == 0) continue;
            long origin = 0;
            for (var k = 0; k < rank; k++) origin += node.StartsOf(k)[coords[k]] * strides[k];
            var run = (int)shape[rank - 1];
            var rows = block.Length / run;
            var idx = new long[rank];
            for (var row = 0; row < rows; row++)
            {
                long offset = origin;
                for (var k = 0; k < rank - 1; k++) offset += idx[k] * strides[k];
                block.AsSpan(row * run, run).CopyTo(result.AsSpan(checked((int)offset), run));
                for (var k = rank - 2; k >= 0; k--)
                {
                    if (++idx[k] < shape[k]) break;
                    idx[k] = 0;
                }
            }
        }

        return result;
    }

    /// <inheritdoc />
    public override string ToString() => $"NDArray<{typeof(T).Name}>(shape=({Shapes.Format(Node.Shape)}), chunks={string.Join("x", NumBlocks)} blocks, {Node.Name})";
}

using Shoal.Arrays.Kernels;

namespace Shoal.Arrays.Graph;

/// <summary>
/// The fused kernel of one block of a reduction, run on the calling thread without a cluster:
/// what the benchmarks time as "the kernel alone" (no scheduling, no transfer).
/// </summary>
internal static class LocalKernel
{
    /// <summary>A function that computes block <paramref name="block"/>'s partial of a tree reduction whose input needs no stored blocks.</summary>
    public static Func<Array> Partial<T>(NDArray<T> reduced, long block) where T : unmanaged
    {
        if (reduced.Node is not ReduceNode r || r.InChunk) throw new ArgumentException("not a tree reduction", nameof(reduced));
        var lowering = new Lowering(null!, [r]);
        var (program, inputs) = KernelBuilder.Partial(lowering, r.Input, ChunkGrid.BlockCoords(r.Input.Chunks, block), r.Op, r.Axes);
        if (inputs.Length != 0) throw new ArgumentException("the reduction's input needs stored blocks", nameof(reduced));
        return () => new KernelEvaluator(program, []).Prepare().Run();
    }
}

using Shoal.Arrays.Graph;
using Shoal.Arrays.Kernels;

namespace Shoal.Arrays;

public static partial class NDArray
{
    /// <summary>
    /// Random arrays. Each chunk's numbers are a pure function of the seed, the chunk's index and
    /// the element's place in the chunk (a counter-based generator), so they do not depend on
    /// which worker computes a chunk, how many workers there are, or whether a chunk is computed
    /// again after a worker is lost. Without a seed, one is drawn at random.
    /// </summary>
    public static class Random
    {
        /// <summary>Uniform doubles in [low, high) with 53 random bits each (as NumPy's).</summary>
        public static NDArray<double> Uniform(double low, double high, long[] shape, long[]? chunks = null, ulong? seed = null) =>
            new(new RandomNode((long[])shape.Clone(), ChunkGrid.Normalize(shape, chunks, 8), DType.Float64, Distribution.Uniform, low, high, seed ?? NewSeed()));

        /// <summary>Uniform floats in [low, high) with 24 random bits each.</summary>
        public static NDArray<float> UniformSingle(double low, double high, long[] shape, long[]? chunks = null, ulong? seed = null) =>
            new(new RandomNode((long[])shape.Clone(), ChunkGrid.Normalize(shape, chunks, 4), DType.Float32, Distribution.Uniform, low, high, seed ?? NewSeed()));

        /// <summary>Normal deviates (Box–Muller on the generator's uniforms).</summary>
        public static NDArray<double> Normal(double mean, double sd, long[] shape, long[]? chunks = null, ulong? seed = null)
        {
            if (sd < 0 || double.IsNaN(sd)) throw new ArgumentException($"standard deviation {sd} must be >= 0", nameof(sd));
            return new(new RandomNode((long[])shape.Clone(), ChunkGrid.Normalize(shape, chunks, 8), DType.Float64, Distribution.Normal, mean, sd, seed ?? NewSeed()));
        }

        private static ulong NewSeed() => (ulong)System.Random.Shared.NextInt64() ^ ((ulong)System.Random.Shared.Next() << 40);
    }
}

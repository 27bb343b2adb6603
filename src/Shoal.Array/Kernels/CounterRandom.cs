using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Shoal.Arrays.Kernels;

/// <summary>
/// Counter-based random numbers: the i-th number of a chunk is a pure function of the seed, the
/// chunk's index and i, so a chunk recomputed on another worker (after a loss, or with another
/// number of workers) is the same chunk, and a kernel can draw any element of a chunk in any
/// order (a fused kernel walks a (2, n) chunk column-tile by column-tile).
/// </summary>
/// <remarks>
/// The function is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", 2014; the generator of Java's SplittableRandom, which passes BigCrush): its state
/// is a Weyl sequence <c>key + (i + 1)·γ</c> and its output the Stafford-13 mix of that state, so
/// the i-th output needs no predecessor. A chunk's key is the mix of the seed's mix plus the
/// chunk index times a second odd constant. Doubles take the top 53 bits, as NumPy's do:
/// <c>(z &gt;&gt; 11)·2⁻⁵³</c> in [0, 1). The mix is three xor-shifts and two 64-bit multiplies,
/// which AVX-512DQ does eight at a time (vpmullq, vcvtuqq2pd); without it the scalar loop runs.
/// No served package provides a SIMD counter-based generator over spans (MathNet.Numerics and
/// System.Random are sequential), hence this file.
/// </remarks>
internal static class CounterRandom
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private const ulong ChunkGamma = 0xD1B54A32D192ED03UL;
    private const double Scale53 = 1.0 / (1UL << 53);

    /// <summary>The key of one chunk's stream.</summary>
    public static ulong ChunkKey(ulong seed, long chunk) => Mix(Mix(seed ^ 0x6A09E667F3BCC909UL) + (ulong)(chunk + 1) * ChunkGamma);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The raw 64 bits at <paramref name="counter"/> of a stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Bits(ulong key, long counter) => Mix(key + (ulong)(counter + 1) * Gamma);

    /// <summary>The double in [0, 1) at <paramref name="counter"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Unit(ulong key, long counter) => (Bits(key, counter) >> 11) * Scale53;

    /// <summary>
    /// <c>low + (high - low)·u</c> for the counters <c>start, start + stride, ...</c>, one per element of
    /// <paramref name="destination"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a fresh worker runs it hot at once: skip tier 0
    public static void Uniform(ulong key, long start, long stride, double low, double high, Span<double> destination)
    {
        var width = high - low;
        var i = 0;
        if (stride == 1 && Vector512.IsHardwareAccelerated && destination.Length >= 8)
        {
            var step = Vector512.Create(unchecked(8 * Gamma));
            var state = Vector512.Create(key + (ulong)(start + 1) * Gamma) + Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7) * Vector512.Create(Gamma);
            var scale = Vector512.Create(Scale53 * width);
            var offset = Vector512.Create(low);
            ref var dst = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
            for (; i <= destination.Length - 8; i += 8)
            {
                var z = state;
                state += step;
                z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
                z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(0x94D049BB133111EBUL);
                z ^= Vector512.ShiftRightLogical(z, 31);
                var u = Vector512.ConvertToDouble(Vector512.ShiftRightLogical(z, 11));
                Vector512.FusedMultiplyAdd(u, scale, offset).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        else if (stride == 1 && Vector256.IsHardwareAccelerated && destination.Length >= 4)
        {
            var step = Vector256.Create(unchecked(4 * Gamma));
            var state = Vector256.Create(key + (ulong)(start + 1) * Gamma) + Vector256.Create(0UL, 1, 2, 3) * Vector256.Create(Gamma);
            var scale = Vector256.Create(Scale53 * width);
            var offset = Vector256.Create(low);
            ref var dst = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
            for (; i <= destination.Length - 4; i += 4)
            {
                var z = state;
                state += step;
                z = (z ^ Vector256.ShiftRightLogical(z, 30)) * Vector256.Create(0xBF58476D1CE4E5B9UL);
                z = (z ^ Vector256.ShiftRightLogical(z, 27)) * Vector256.Create(0x94D049BB133111EBUL);
                z ^= Vector256.ShiftRightLogical(z, 31);
                var u = Vector256.ConvertToDouble(Vector256.ShiftRightLogical(z, 11));
                Vector256.FusedMultiplyAdd(u, scale, offset).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        // The same arithmetic as the vector loops, so an element does not depend on where a tile starts.
        var c = Scale53 * width;
        for (; i < destination.Length; i++)
        {
            destination[i] = Math.FusedMultiplyAdd((double)(Bits(key, start + i * stride) >> 11), c, low);
        }
    }

    /// <summary>Single-precision uniforms: the top 24 bits, exact in a float.</summary>
    public static void Uniform(ulong key, long start, long stride, double low, double high, Span<float> destination)
    {
        var width = (float)(high - low);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)low + width * ((Bits(key, start + i * stride) >> 40) * (1f / (1 << 24)));
        }
    }

    /// <summary>
    /// Normal deviates, Box–Muller on the uniforms at counters 2k and 2k+1 (only the cosine branch,
    /// so each element stands alone): <c>mean + sd·√(−2 ln(1 − u₁))·cos(2π u₂)</c>. Scalar
    /// <c>Math.Log</c>/<c>Math.Cos</c> on purpose: TensorPrimitives' vectorized
    /// Log and Cos use multiply-add estimates that the JIT may or may not fuse (tier 0 and tier 1
    /// differed in the last bit), and a chunk must be the same numbers wherever it is computed.
    /// </summary>
    public static void Normal(ulong key, long start, long stride, double mean, double sd, Span<double> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            var k = 2 * (start + i * stride);
            var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - Unit(key, k)));
            destination[i] = mean + sd * (radius * Math.Cos(2 * Math.PI * Unit(key, k + 1)));
        }
    }
}

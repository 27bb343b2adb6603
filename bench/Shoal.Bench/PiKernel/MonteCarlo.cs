using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Shoal.Bench.PiKernel;

/// <summary>The work of one task: random points in the unit square, counted when inside the circle.</summary>
public static class MonteCarlo
{
    /// <summary>
    /// Counts points (x, y) uniform in [0,1)² with x² + y² ≤ 1 among <paramref name="count"/>.
    /// </summary>
    /// <remarks>
    /// Each SIMD lane runs its own xoshiro128+ generator (32-bit words, period 2^128 - 1),
    /// seeded from <paramref name="seed"/> and the lane number through SplitMix64, so lanes and
    /// tasks with different seeds draw independent streams. A point takes two draws, x then y;
    /// each coordinate is the top 24 bits of a draw (the strong bits of xoshiro128+), exact in
    /// single precision. The test is done on the integers k = 2^24·x as floats: kx² + ky² ≤ 2^48
    /// (the rounding of the sum touches only points within ~1e-7 of the circle, far below the
    /// statistical error). Two interleaved groups of generators keep the vector units busy.
    /// </remarks>
    public static long CountInside(long count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        // A hashed starting point: tasks with nearby seeds get unrelated SplitMix sequences.
        var splitMix = SplitMix(ref seed);
        long inside = 0, done = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            (inside, done) = CountInside512(count, ref splitMix);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            (inside, done) = CountInside256(count, ref splitMix);
        }

        if (done < count) inside += CountInsideScalar(count - done, ref splitMix);
        return inside;
    }

    /// <summary>Points per inner block: lane counters are 32-bit and must not overflow.</summary>
    private const int BlockSteps = 1 << 24;

    private const float Limit = 281474976710656f; // 2^48

    private static (long Inside, long Done) CountInside512(long count, ref ulong splitMix)
    {
        const int lanes = 16;
        long steps = count / (2 * lanes); // each step draws one point per lane in each of the two groups
        if (steps == 0) return (0, 0);
        Span<uint> init = stackalloc uint[lanes];
        Vector512<uint> Seed(ref ulong sm, Span<uint> buffer)
        {
            for (var i = 0; i < buffer.Length; i++) buffer[i] = (uint)(SplitMix(ref sm) >> 32);
            return Vector512.Create<uint>(buffer);
        }

        // Group A and group B: 4 state words each. A lane's state is never all zero (SplitMix
        // outputs are distinct for distinct counters, and the odds of four zero words are nil).
        var a0 = Seed(ref splitMix, init) | Vector512<uint>.One;
        var a1 = Seed(ref splitMix, init);
        var a2 = Seed(ref splitMix, init);
        var a3 = Seed(ref splitMix, init);
        var b0 = Seed(ref splitMix, init) | Vector512<uint>.One;
        var b1 = Seed(ref splitMix, init);
        var b2 = Seed(ref splitMix, init);
        var b3 = Seed(ref splitMix, init);
        var limit = Vector512.Create(Limit);
        long inside = 0;
        for (long start = 0; start < steps; start += BlockSteps)
        {
            var n = (int)Math.Min(BlockSteps, steps - start);
            var countA = Vector512<int>.Zero;
            var countB = Vector512<int>.Zero;
            for (var i = 0; i < n; i++)
            {
                var xa = Next(ref a0, ref a1, ref a2, ref a3);
                var xb = Next(ref b0, ref b1, ref b2, ref b3);
                var ya = Next(ref a0, ref a1, ref a2, ref a3);
                var yb = Next(ref b0, ref b1, ref b2, ref b3);
                var fxa = Vector512.ConvertToSingle(Vector512.ShiftRightLogical(xa, 8).AsInt32());
                var fya = Vector512.ConvertToSingle(Vector512.ShiftRightLogical(ya, 8).AsInt32());
                var fxb = Vector512.ConvertToSingle(Vector512.ShiftRightLogical(xb, 8).AsInt32());
                var fyb = Vector512.ConvertToSingle(Vector512.ShiftRightLogical(yb, 8).AsInt32());
                // A lane that is inside has an all-ones mask, i.e. -1 as an integer.
                countA -= Vector512.LessThanOrEqual(Vector512.FusedMultiplyAdd(fxa, fxa, fya * fya), limit).AsInt32();
                countB -= Vector512.LessThanOrEqual(Vector512.FusedMultiplyAdd(fxb, fxb, fyb * fyb), limit).AsInt32();
            }

            inside += Sum(countA) + Sum(countB);
        }

        return (inside, steps * 2 * lanes);
    }

    private static (long Inside, long Done) CountInside256(long count, ref ulong splitMix)
    {
        const int lanes = 8;
        long steps = count / (2 * lanes);
        if (steps == 0) return (0, 0);
        Span<uint> init = stackalloc uint[lanes];
        Vector256<uint> Seed(ref ulong sm, Span<uint> buffer)
        {
            for (var i = 0; i < buffer.Length; i++) buffer[i] = (uint)(SplitMix(ref sm) >> 32);
            return Vector256.Create<uint>(buffer);
        }

        var a0 = Seed(ref splitMix, init) | Vector256<uint>.One;
        var a1 = Seed(ref splitMix, init);
        var a2 = Seed(ref splitMix, init);
        var a3 = Seed(ref splitMix, init);
        var b0 = Seed(ref splitMix, init) | Vector256<uint>.One;
        var b1 = Seed(ref splitMix, init);
        var b2 = Seed(ref splitMix, init);
        var b3 = Seed(ref splitMix, init);
        var limit = Vector256.Create(Limit);
        long inside = 0;
        for (long start = 0; start < steps; start += BlockSteps)
        {
            var n = (int)Math.Min(BlockSteps, steps - start);
            var countA = Vector256<int>.Zero;
            var countB = Vector256<int>.Zero;
            for (var i = 0; i < n; i++)
            {
                var xa = Next(ref a0, ref a1, ref a2, ref a3);
                var xb = Next(ref b0, ref b1, ref b2, ref b3);
                var ya = Next(ref a0, ref a1, ref a2, ref a3);
                var yb = Next(ref b0, ref b1, ref b2, ref b3);
                var fxa = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(xa, 8).AsInt32());
                var fya = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(ya, 8).AsInt32());
                var fxb = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(xb, 8).AsInt32());
                var fyb = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(yb, 8).AsInt32());
                countA -= Vector256.LessThanOrEqual(Vector256.FusedMultiplyAdd(fxa, fxa, fya * fya), limit).AsInt32();
                countB -= Vector256.LessThanOrEqual(Vector256.FusedMultiplyAdd(fxb, fxb, fyb * fyb), limit).AsInt32();
            }

            inside += Sum(countA) + Sum(countB);
        }

        return (inside, steps * 2 * lanes);
    }

    /// <summary>The rest (and machines without SIMD): the same generator, one lane.</summary>
    private static long CountInsideScalar(long count, ref ulong splitMix)
    {
        uint s0 = (uint)(SplitMix(ref splitMix) >> 32) | 1, s1 = (uint)(SplitMix(ref splitMix) >> 32);
        uint s2 = (uint)(SplitMix(ref splitMix) >> 32), s3 = (uint)(SplitMix(ref splitMix) >> 32);
        long inside = 0;
        for (long i = 0; i < count; i++)
        {
            float x = Next(ref s0, ref s1, ref s2, ref s3) >> 8;
            float y = Next(ref s0, ref s1, ref s2, ref s3) >> 8;
            if (MathF.FusedMultiplyAdd(x, x, y * y) <= Limit) inside++;
        }

        return inside;
    }

    /// <summary>xoshiro128+ (Blackman and Vigna): returns s0 + s3, then advances the state.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Next(ref Vector512<uint> s0, ref Vector512<uint> s1, ref Vector512<uint> s2, ref Vector512<uint> s3)
    {
        var result = s0 + s3;
        var t = Vector512.ShiftLeft(s1, 9);
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Vector512.ShiftLeft(s3, 11) | Vector512.ShiftRightLogical(s3, 21);
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Next(ref Vector256<uint> s0, ref Vector256<uint> s1, ref Vector256<uint> s2, ref Vector256<uint> s3)
    {
        var result = s0 + s3;
        var t = Vector256.ShiftLeft(s1, 9);
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Vector256.ShiftLeft(s3, 11) | Vector256.ShiftRightLogical(s3, 21);
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Next(ref uint s0, ref uint s1, ref uint s2, ref uint s3)
    {
        var result = s0 + s3;
        var t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = uint.RotateLeft(s3, 11);
        return result;
    }

    private static long Sum(Vector512<int> counts) => Sum(counts.GetLower()) + Sum(counts.GetUpper());

    private static long Sum(Vector256<int> counts)
    {
        long total = 0;
        for (var i = 0; i < Vector256<int>.Count; i++) total += counts[i];
        return total;
    }

    private static ulong SplitMix(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

using System.Numerics;
using System.Runtime.Intrinsics;

namespace Shoal.Examples.Pi;

/// <summary>The work of one task: random points in the unit square, counted when inside the circle.</summary>
public static class MonteCarlo
{
    /// <summary>
    /// Counts points (x, y) uniform in [0,1)² with x² + y² ≤ 1 among <paramref name="count"/>.
    /// A vectorised xorshift generator: each lane is an independent stream; one 64-bit draw
    /// gives two 24-bit coordinates in single precision, plenty for an estimate of π.
    /// </summary>
    public static long CountInside(long count, ulong seed)
    {
        var lanes = Vector<ulong>.Count;
        Span<ulong> init = stackalloc ulong[lanes];
        var s = seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL;
        for (var i = 0; i < lanes; i++) init[i] = SplitMix(ref s) | 1;
        var state = new Vector<ulong>(init);
        var mask = new Vector<ulong>(0xFFFFFFUL);
        var scale = new Vector<double>(1.0 / (1 << 24));
        var one = new Vector<double>(1.0);
        var inside = Vector<long>.Zero;
        long steps = count / lanes;
        for (long step = 0; step < steps; step++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            var x = Vector.ConvertToDouble(state & mask) * scale;
            var y = Vector.ConvertToDouble((state >> 24) & mask) * scale;
            inside -= Vector.AsVectorInt64(Vector.LessThanOrEqual(x * x + y * y, one));
        }

        long total = Vector.Sum(inside);
        var rest = state[0];
        for (var i = steps * lanes; i < count; i++)
        {
            rest ^= rest << 13;
            rest ^= rest >> 7;
            rest ^= rest << 17;
            double x = (rest & 0xFFFFFF) / (double)(1 << 24), y = ((rest >> 24) & 0xFFFFFF) / (double)(1 << 24);
            if (x * x + y * y <= 1.0) total++;
        }

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

using CsCheck;

namespace Shoal.Array.Tests;

/// <summary>A random array and a chunking of it: ranks 1-3, lengths 0-9, chunk lengths that leave ragged last chunks.</summary>
internal sealed record Case(long[] Shape, long[] Chunks, double[] Data, int Seed)
{
    public Ref Ref => new(Data, Shape);

    public override string ToString() => $"shape ({string.Join(",", Shape)}) chunks ({string.Join(",", Chunks)}) seed {Seed}";

    public static readonly Gen<Case> Gen =
        from rank in CsCheck.Gen.Int[1, 3]
        from shape in CsCheck.Gen.Long[0, 9].Array[rank]
        from chunkSeeds in CsCheck.Gen.Long[1, 10].Array[rank]
        from seed in CsCheck.Gen.Int
        let size = shape.Aggregate(1L, (a, b) => a * b)
        from data in CsCheck.Gen.Int[-50, 50].Select(i => i / 4.0).Array[(int)size]
        select new Case(shape, shape.Select((d, i) => Math.Max(1, Math.Min(chunkSeeds[i], Math.Max(1, d)))).ToArray(), data, seed);

    /// <summary>A second array that broadcasts against <paramref name="c"/>: some axes stretched (1), maybe fewer axes.</summary>
    public static Gen<Case> Partner(Case c) =>
        from drop in CsCheck.Gen.Int[0, c.Shape.Length - 1]
        from ones in CsCheck.Gen.Bool.Array[c.Shape.Length]
        from chunkSeeds in CsCheck.Gen.Long[1, 10].Array[c.Shape.Length]
        let shape = c.Shape.Skip(drop).Select((d, i) => ones[i + drop] ? 1 : d).ToArray()
        from data in CsCheck.Gen.Int[-50, 50].Select(i => i / 4.0).Array[(int)shape.Aggregate(1L, (a, b) => a * b)]
        select new Case(shape, shape.Select((d, i) => Math.Max(1, Math.Min(chunkSeeds[i + drop], Math.Max(1, d)))).ToArray(), data, c.Seed + 1);
}

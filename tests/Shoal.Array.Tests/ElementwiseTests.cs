using CsCheck;
using Shoal.Arrays;

namespace Shoal.Array.Tests;

/// <summary>Element-wise steps (fused into one task per chunk) on random shapes and chunkings equal the in-memory loops.</summary>
public sealed class ElementwiseTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private Client Client => fixture.Client;

    private Task<NDArray<double>> Load(Case c) => NDArray.FromArrayAsync(Client, c.Data, c.Shape, c.Chunks);

    [Fact]
    public Task Arithmetic_with_broadcasting_equals_memory() =>
        Case.Gen.SelectMany(c => Case.Partner(c).Select(p => (c, p))).SampleAsync(async (c, p) =>
        {
            var a = await Load(c);
            var b = await Load(p);
            var expr = (a * b + 1.5) - a / (NDArray.Abs(b) + 1.0);
            Expect.Close(await expr.ComputeAsync(Client), Ref.Zip(Ref.Zip(c.Ref, p.Ref, (x, y) => x * y + 1.5), Ref.Zip(c.Ref, p.Ref, (x, y) => x / (Math.Abs(y) + 1)), (x, y) => x - y), 1e-12, "a*b+1.5 - a/(|b|+1)");
            var minmax = NDArray.Maximum(a, b) - NDArray.Minimum(b, a);
            Expect.Close(await minmax.ComputeAsync(Client), Ref.Zip(c.Ref, p.Ref, (x, y) => Math.Max(x, y) - Math.Min(x, y)), 0, "max - min");
            var where = NDArray.Where(a > b, a, -b);
            Expect.Close(await where.ComputeAsync(Client), Ref.Zip(c.Ref, p.Ref, (x, y) => x > y ? x : -y), 0, "where");
            var mod = a % 1.75;
            Expect.Close(await mod.ComputeAsync(Client), c.Ref.Map(x => { var r = x % 1.75; return r != 0 && r < 0 ? r + 1.75 : r; }), 1e-12, "mod");
        }, iter: 15, threads: 1);

    [Fact]
    public Task Math_functions_equal_memory() =>
        Case.Gen.SampleAsync(async c =>
        {
            var a = await Load(c);
            Expect.Close(await NDArray.Sqrt(NDArray.Abs(a)).ComputeAsync(Client), c.Ref.Map(x => Math.Sqrt(Math.Abs(x))), 1e-15, "sqrt|a|");
            Expect.Close(await NDArray.Exp(a / 10.0).ComputeAsync(Client), c.Ref.Map(x => Math.Exp(x / 10)), 1e-14, "exp");
            Expect.Close(await NDArray.Log(NDArray.Abs(a) + 1.0).ComputeAsync(Client), c.Ref.Map(x => Math.Log(Math.Abs(x) + 1)), 1e-14, "log");
            Expect.Close(await NDArray.Sin(a).ComputeAsync(Client), c.Ref.Map(Math.Sin), 1e-14, "sin");
            Expect.Close(await NDArray.Floor(a).ComputeAsync(Client), c.Ref.Map(Math.Floor), 0, "floor");
            Expect.Close(await NDArray.Round(a).ComputeAsync(Client), c.Ref.Map(x => Math.Round(x, MidpointRounding.ToEven)), 0, "round");
            Expect.Close(await NDArray.Power(a, 2.0).ComputeAsync(Client), c.Ref.Map(x => x * x), 1e-14, "a^2");
        }, iter: 10, threads: 1);

    [Fact]
    public Task Comparisons_and_casts_equal_memory() =>
        Case.Gen.SampleAsync(async c =>
        {
            var a = await Load(c);
            var ints = a.AsType<long>();
            Expect.Close(await ints.ComputeAsync(Client), c.Ref.Map(Math.Truncate), 0, "astype long");
            Expect.Close(await (ints * 3L - 7L).ComputeAsync(Client), c.Ref.Map(x => Math.Truncate(x) * 3 - 7), 0, "long arithmetic");
            Expect.Close(await (a <= 0.5).ComputeAsync(Client), c.Ref.Map(x => x <= 0.5 ? 1 : 0), 0, "a <= 0.5");
            Expect.Close(await a.Equal(0.25).ComputeAsync(Client), c.Ref.Map(x => x == 0.25 ? 1 : 0), 0, "a == 0.25");
            var both = (a > -1.0) & !(a >= 2.0);
            Expect.Close(await both.ComputeAsync(Client), c.Ref.Map(x => x > -1 && !(x >= 2) ? 1 : 0), 0, "(a > -1) & !(a >= 2)");
            Expect.Close(await (a > 0.0).AsType<int>().AsType<float>().ComputeAsync(Client), c.Ref.Map(x => x > 0 ? 1 : 0), 0, "bool->int->float");
        }, iter: 10, threads: 1);

    [Fact]
    public async Task Generators_equal_memory()
    {
        Expect.Close(await NDArray.Arange<double>(2, 9.5, 0.5, chunks: 4).ComputeAsync(Client), new Ref(Enumerable.Range(0, 15).Select(i => 2 + 0.5 * i).ToArray(), [15]), 0, "arange");
        Expect.Close(await NDArray.Arange<long>(0, 10, chunks: 3).ComputeAsync(Client), new Ref(Enumerable.Range(0, 10).Select(i => (double)i).ToArray(), [10]), 0, "arange long");
        Expect.Close(await NDArray.Linspace(0, 1, 11, chunks: 4).ComputeAsync(Client), new Ref(Enumerable.Range(0, 11).Select(i => i * 0.1).ToArray(), [11]), 1e-15, "linspace");
        Expect.Close(await NDArray.Full([3, 4], 2.5, chunks: [2, 3]).ComputeAsync(Client), new Ref(Enumerable.Repeat(2.5, 12).ToArray(), [3, 4]), 0, "full");
        Expect.Close(await NDArray.Zeros<int>([0, 4], chunks: [2, 3]).ComputeAsync(Client), new Ref([], [0, 4]), 0, "zeros of 0 rows");
        Expect.Close(await NDArray.FromFunction((long[] i) => i[0] * 10.0 + i[1], [3, 5], chunks: [2, 2]).ComputeAsync(Client),
            new Ref(Enumerable.Range(0, 15).Select(e => e / 5 * 10.0 + e % 5).ToArray(), [3, 5]), 0, "from function");
        var uniform = await NDArray.Random.Uniform(-1, 1, [1000], chunks: [300], seed: 5).ComputeAsync(Client);
        uniform.Data.ShouldAllBe(x => x >= -1 && x < 1);
        Math.Abs(uniform.Data.Average()).ShouldBeLessThan(0.15);
        var normal = await NDArray.Random.Normal(3, 2, [20000], chunks: [7000], seed: 6).ComputeAsync(Client);
        Math.Abs(normal.Data.Average() - 3).ShouldBeLessThan(0.1);
        Math.Abs(Math.Sqrt(normal.Data.Select(x => (x - 3) * (x - 3)).Average()) - 2).ShouldBeLessThan(0.1);
    }

    [Fact]
    public async Task Random_numbers_are_the_chunks_own_whatever_the_expression_reads()
    {
        // The same seeded array read whole, sliced, and fused into a reduction gives the same numbers.
        var x = NDArray.Random.Uniform(0, 1, [3, 1000], chunks: [3, 128], seed: 11);
        var whole = await x.ComputeAsync(Client);
        var slice = await x.Slice(1..2, 100..900).ComputeAsync(Client);
        for (var j = 0; j < 800; j++) slice[0, j].ShouldBe(whole[1, j + 100]);
        var columnSums = await x.Sum([0]).ComputeAsync(Client);
        for (var j = 0; j < 1000; j++) columnSums[j].ShouldBe(whole[0, j] + whole[1, j] + whole[2, j], 1e-15);
    }

    [Fact]
    public async Task Square_root_comparisons_rewritten_without_the_root_give_the_same_answers()
    {
        // Values at the edges where √x and x fall on different sides of c² (1 + 2⁻⁵² has √ = 1).
        var edges = new List<double> { 0, -0.0, double.NaN, double.PositiveInfinity, double.Epsilon, 0.25, 1, 4, 9, 2, 0.5 };
        foreach (var v in new[] { 0.25, 1.0, 4.0, 9.0, 2.0, 0.5 })
        {
            edges.Add(Math.BitIncrement(v));
            edges.Add(Math.BitDecrement(v));
            edges.Add(Math.BitIncrement(Math.BitIncrement(v)));
        }

        var data = edges.Concat(edges.Select(x => -x)).ToArray();
        var a = await NDArray.FromArrayAsync(Client, data, [data.Length], [7]);
        foreach (var c in new[] { 0.0, 0.5, 1.0, 2.0, 3.0, Math.Sqrt(2), 0.7071067811865476 })
        {
            var root = NDArray.Sqrt(NDArray.Abs(a));
            Expect.Close(await (root <= c).ComputeAsync(Client), new Ref(data.Select(x => Math.Sqrt(Math.Abs(x)) <= c ? 1.0 : 0).ToArray(), [data.Length]), 0, $"sqrt <= {c}");
            Expect.Close(await (root < c).ComputeAsync(Client), new Ref(data.Select(x => Math.Sqrt(Math.Abs(x)) < c ? 1.0 : 0).ToArray(), [data.Length]), 0, $"sqrt < {c}");
            Expect.Close(await (root > c).ComputeAsync(Client), new Ref(data.Select(x => Math.Sqrt(Math.Abs(x)) > c ? 1.0 : 0).ToArray(), [data.Length]), 0, $"sqrt > {c}");
            Expect.Close(await (root >= c).ComputeAsync(Client), new Ref(data.Select(x => Math.Sqrt(Math.Abs(x)) >= c ? 1.0 : 0).ToArray(), [data.Length]), 0, $"sqrt >= {c}");
        }

        // Not rewritten when the argument may be negative: √-1 is NaN, so the comparison is false.
        var minusOne = await NDArray.FromArrayAsync(Client, new[] { -1.0, 0.25 }, [2]);
        Expect.Close(await (NDArray.Sqrt(minusOne) <= 1.0).ComputeAsync(Client), new Ref([0, 1], [2]), 0, "sqrt(-1) <= 1");
    }
}

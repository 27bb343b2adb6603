using CsCheck;
using Shoal.Arrays;

namespace Shoal.Array.Tests;

/// <summary>Reductions over all axes and random axis sets, with random fan-in, equal the in-memory folds.</summary>
public sealed class ReductionTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private Client Client => fixture.Client;

    private static readonly Gen<(Case, int[]?, bool, int)> Cases =
        from c in Case.Gen
        from all in Gen.Bool
        from mask in Gen.Bool.Array[c.Shape.Length]
        from keep in Gen.Bool
        from split in Gen.Int[2, 4]
        select (c, all ? null : Enumerable.Range(0, c.Shape.Length).Where(i => mask[i]).ToArray(), keep, split);

    [Fact]
    public Task Reductions_equal_memory() =>
        Cases.SampleAsync(async (c, axes, keep, split) =>
        {
            var a = await NDArray.FromArrayAsync(Client, c.Data, c.Shape, c.Chunks);
            var ax = axes ?? Enumerable.Range(0, c.Shape.Length).ToArray();
            var r = c.Ref;
            Expect.Close(await a.Sum(axes, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Sum()), 1e-12, "sum");
            Expect.Close(await NDArray.Square(a).Sum(axes, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Sum(x => x * x)), 1e-12, "sum of squares");
            Expect.Close(await a.Mean(axes, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Count == 0 ? double.NaN : v.Average()), 1e-12, "mean");
            Expect.Close(await a.Var(axes, 0, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Count == 0 ? double.NaN : v.Select(x => (x - v.Average()) * (x - v.Average())).Average()), 1e-10, "var");
            Expect.Close(await a.Std(axes, 1, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Count <= 1 ? double.NaN : Math.Sqrt(v.Select(x => (x - v.Average()) * (x - v.Average())).Sum() / (v.Count - 1))), 1e-10, "std ddof 1");
            Expect.Close(await a.CountNonZero(axes, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Count(x => x != 0)), 0, "count nonzero");
            Expect.Close(await (a > 1.0).Sum(axes, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Count(x => x > 1)), 0, "sum of bool");
            Expect.Close(await (a > 1.0).Any(axes, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Any(x => x > 1) ? 1 : 0), 0, "any");
            Expect.Close(await (a > -5.0).All(axes, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.All(x => x > -5) ? 1 : 0), 0, "all");
            Expect.Close(await a.AsType<int>().Sum(axes, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Sum(Math.Truncate)), 0, "int sum");
            if (ax.All(i => c.Shape[i] > 0))
            {
                Expect.Close(await a.Min(axes, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Min()), 0, "min");
                Expect.Close(await a.Max(axes, keep, split).ComputeAsync(Client), r.Reduce(ax, keep, v => v.Max()), 0, "max");
            }
            else
            {
                Should.Throw<ArgumentException>(() => a.Min(axes, keep, split));
            }
        }, iter: 25, threads: 1);

    [Fact]
    public Task ArgMin_and_ArgMax_equal_memory() =>
        Case.Gen.Where(c => c.Data.Length > 0).SelectMany(c => Gen.Int[-1, c.Shape.Length - 1].Select(axis => (c, axis))).SampleAsync(async (c, axis) =>
        {
            var a = await NDArray.FromArrayAsync(Client, c.Data, c.Shape, c.Chunks);
            if (axis < 0)
            {
                (await a.ArgMin().ScalarAsync(Client)).ShouldBe(System.Array.IndexOf(c.Data, c.Data.Min()));
                (await a.ArgMax(splitEvery: 2).ScalarAsync(Client)).ShouldBe(System.Array.IndexOf(c.Data, c.Data.Max()));
                return;
            }

            Expect.Close(await a.ArgMin(axis).ComputeAsync(Client), c.Ref.Reduce([axis], false, v => v.IndexOf(v.Min())), 0, "argmin");
            Expect.Close(await a.ArgMax(axis, 3).ComputeAsync(Client), c.Ref.Reduce([axis], false, v => v.IndexOf(v.Max())), 0, "argmax");
        }, iter: 20, threads: 1);

    [Fact]
    public async Task Reduction_then_elementwise_then_reduction_fuses_the_in_chunk_part()
    {
        // The seed's pi shape: a norm over an axis held whole by each chunk, compared and counted.
        var data = Enumerable.Range(0, 2 * 37).Select(i => Math.Sin(i) * 1.2).ToArray();
        var a = await NDArray.FromArrayAsync(Client, data, [2, 37], [2, 5]);
        var norm = Linalg.Norm(a, axis: 0);
        var count = await (norm <= 1.0).Sum().ScalarAsync(Client);
        var expected = Enumerable.Range(0, 37).Count(j => Math.Sqrt(data[j] * data[j] + data[37 + j] * data[37 + j]) <= 1);
        count.ShouldBe(expected);
        Expect.Close(await Linalg.Norm(a).ComputeAsync(Client), new Ref([Math.Sqrt(data.Sum(x => x * x))], []), 1e-14, "frobenius");
    }
}

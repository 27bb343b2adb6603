using CsCheck;
using Shoal.Arrays;

namespace Shoal.Array.Tests;

/// <summary>Slicing, transposing, rechunking, reshaping, joining and matrix products equal the in-memory ones.</summary>
public sealed class StructureTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private Client Client => fixture.Client;

    [Fact]
    public Task Slices_with_steps_equal_memory() =>
        Case.Gen.SelectMany(c => Gen.Select(Gen.Long[0, 10].Array[c.Shape.Length], Gen.Long[0, 12].Array[c.Shape.Length], Gen.Long[1, 3].Array[c.Shape.Length])
            .Select((s, e, st) => (c, s, e, st))).SampleAsync(async (c, starts, stops, steps) =>
        {
            var a = await NDArray.FromArrayAsync(Client, c.Data, c.Shape, c.Chunks);
            var slices = starts.Select((s, k) => ((long?)s, (long?)stops[k], steps[k])).ToArray();
            var expected = c.Ref.Slice(starts.Select((s, k) => (Math.Min(s, c.Shape[k]), stops[k], steps[k])).ToArray());
            Expect.Close(await a.Slice(slices).ComputeAsync(Client), expected, 0, "slice");
            // A fused expression over a slice.
            Expect.Close(await (a.Slice(slices) * 2.0).Sum().ComputeAsync(Client), new Ref([expected.Data.Sum() * 2], []), 1e-12, "sum of sliced*2");
        }, iter: 25, threads: 1);

    [Fact]
    public Task Transpose_and_rechunk_equal_memory() =>
        Case.Gen.SelectMany(c => Gen.Long[1, 6].Array[c.Shape.Length].Select(rc => (c, rc))).SampleAsync(async (c, rechunk) =>
        {
            var a = await NDArray.FromArrayAsync(Client, c.Data, c.Shape, c.Chunks);
            var perm = Enumerable.Range(0, c.Shape.Length).Reverse().ToArray();
            Expect.Close(await a.Transpose().ComputeAsync(Client), c.Ref.Transpose(perm), 0, "transpose");
            Expect.Close(await (a.Transpose() + 1.0).ComputeAsync(Client), c.Ref.Transpose(perm).Map(x => x + 1), 0, "transpose + 1");
            var r = a.Rechunk(rechunk);
            r.Chunks.Select(ch => ch.Sum()).ShouldBe(c.Shape);
            Expect.Close(await r.ComputeAsync(Client), c.Ref, 0, "rechunk");
        }, iter: 20, threads: 1);

    [Fact]
    public Task Concatenate_and_stack_equal_memory() =>
        Case.Gen.SampleAsync(async c =>
        {
            var a = await NDArray.FromArrayAsync(Client, c.Data, c.Shape, c.Chunks);
            var b = a * -1.0;
            var axis = c.Shape.Length - 1;
            Expect.Close(await NDArray.Concatenate([a, b, a], axis).ComputeAsync(Client), Ref.Concatenate([c.Ref, c.Ref.Map(x => -x), c.Ref], axis), 0, "concatenate");
            var stacked = await NDArray.Stack([a, b], 0).ComputeAsync(Client);
            Expect.Close(stacked, new Ref([.. c.Data, .. c.Data.Select(x => -x)], [2, .. c.Shape]), 0, "stack");
        }, iter: 15, threads: 1);

    [Fact]
    public async Task Reshape_where_chunks_allow_equals_memory()
    {
        var data = Enumerable.Range(0, 24).Select(i => (double)i).ToArray();
        var a = await NDArray.FromArrayAsync(Client, data, [6, 4], [2, 4]);
        Expect.Close(await a.Reshape(3, 8).ComputeAsync(Client), new Ref(data, [3, 8]), 0, "reshape (6,4)->(3,8)");
        Expect.Close(await a.Reshape(-1).ComputeAsync(Client), new Ref(data, [24]), 0, "flatten");
        Expect.Close(await a.Reshape(12, 2).ComputeAsync(Client), new Ref(data, [12, 2]), 0, "reshape (6,4)->(12,2)");
        var single = await NDArray.FromArrayAsync(Client, data, [2, 3, 4], [-1, -1, -1]);
        Expect.Close(await single.Reshape(4, 6).ComputeAsync(Client), new Ref(data, [4, 6]), 0, "one chunk");
        Expect.Close(await a.Rechunk(-1, -1).Reshape(4, 6).ComputeAsync(Client), new Ref(data, [4, 6]), 0, "rechunked then reshaped");
    }

    [Fact]
    public Task MatMul_equals_memory() =>
        (from m in Gen.Int[1, 7]
         from k in Gen.Int[1, 7]
         from n in Gen.Int[1, 7]
         from ca in Gen.Long[1, 4]
         from cb in Gen.Long[1, 4]
         from a in Gen.Int[-9, 9].Select(i => (double)i).Array[m * k]
         from b in Gen.Int[-9, 9].Select(i => (double)i).Array[k * n]
         select (m, k, n, ca, cb, a, b)).SampleAsync(async t =>
        {
            var a = await NDArray.FromArrayAsync(Client, t.a, [t.m, t.k], [t.ca, t.cb]);
            var b = await NDArray.FromArrayAsync(Client, t.b, [t.k, t.n], [t.cb + 1, t.ca]);
            Expect.Close(await Linalg.MatMul(a, b).ComputeAsync(Client), Ref.MatMul(new Ref(t.a, [t.m, t.k]), new Ref(t.b, [t.k, t.n])), 0, "matmul");
            Expect.Close(await Linalg.MatMul(a, a.Transpose()).ComputeAsync(Client), Ref.MatMul(new Ref(t.a, [t.m, t.k]), new Ref(t.a, [t.m, t.k]).Transpose([1, 0])), 0, "a·aᵀ");
        }, iter: 15, threads: 1);

    [Fact]
    public async Task MapBlocks_runs_a_user_kernel_per_block()
    {
        var data = Enumerable.Range(0, 10).Select(i => (double)i).ToArray();
        var a = await NDArray.FromArrayAsync(Client, data, [10], [4]);
        var doubled = a.MapBlocks((Dense<double> block) => new Dense<double>(block.Data.Select(x => x * 2 + block.Size).ToArray(), block.Shape));
        Expect.Close(await doubled.ComputeAsync(Client), new Ref(data.Select((x, i) => x * 2 + (i < 8 ? 4 : 2)).ToArray(), [10]), 0, "map blocks");
        var sums = a.MapBlocks((Dense<double> block) => new Dense<double>([block.Data.Sum()], 1), chunks: [[1, 1, 1]]);
        Expect.Close(await sums.ComputeAsync(Client), new Ref([6, 22, 17], [3]), 0, "block sums");
    }

    [Fact]
    public async Task Futures_and_delayed_blocks_make_arrays()
    {
        var f1 = Client.Submit(static () => new[] { 1.0, 2, 3 });
        var f2 = Client.Submit(static () => new[] { 4.0, 5 });
        var fromFutures = NDArray.FromFutures([f1, f2], [5], [[3, 2]]);
        Expect.Close(await (fromFutures * 10.0).ComputeAsync(Client), new Ref([10, 20, 30, 40, 50], [5]), 0, "from futures");
        var d = Delayed.Call(static (int n) => Enumerable.Range(0, n).Select(i => (long)i).ToArray(), 4);
        var fromDelayed = NDArray.FromDelayed([d, d], [2, 4], [[1, 1], [4]]);
        Expect.Close(await fromDelayed.Sum([0]).ComputeAsync(Client), new Ref([0, 2, 4, 6], [4]), 0, "from delayed");
        var persisted = (fromFutures + 1.0).Persist(Client);
        Expect.Close(await persisted.Sum().ComputeAsync(Client), new Ref([20], []), 0, "persisted then summed");
        persisted.Release();
    }
}

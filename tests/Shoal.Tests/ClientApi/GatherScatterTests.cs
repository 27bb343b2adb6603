using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.ClientApi;

/// <summary>
/// Nested gathers (same structure back, errors skipped), scatter by key and to chosen workers, and replication, on
/// real worker processes that never saw this assembly.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class GatherScatterTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task A_nested_structure_of_futures_gathers_into_the_same_structure_of_values()
    {
        await using var client = await cluster.ConnectAsync();
        var structure = new Dictionary<string, List<Future<int>>>
        {
            ["small"] = [.. client.Map(static (int x) => x, Enumerable.Range(0, 3))],
            ["big"] = [.. client.Map(static (int x) => x * 1000, Enumerable.Range(1, 2))],
        };
        var values = await client.GatherAsync<Dictionary<string, List<int>>>(structure, GatherErrors.Raise).WaitAsync(E2E.Timeout);
        values["small"].ShouldBe([0, 1, 2]);
        values["big"].ShouldBe([1000, 2000]);

        var pair = await client.GatherAsync<(int, string, int[])>((structure["big"][0], "plain", structure["small"].ToArray()), GatherErrors.Raise).WaitAsync(E2E.Timeout);
        pair.Item1.ShouldBe(1000);
        pair.Item2.ShouldBe("plain");
        pair.Item3.ShouldBe([0, 1, 2]);
    }

    [Fact]
    public async Task The_same_value_scattered_again_right_after_its_release_is_never_lost()
    {
        // What a user's loop does: scatter a value (content-addressed: the same key each time), use it, drop the future,
        // scatter it again at once. The scheduler's FreeKeys of the released copy can reach the worker after the new put.
        await using var client = await cluster.ConnectAsync();
        var block = Enumerable.Range(0, 10_000).ToArray();
        for (var round = 0; round < 50; round++)
        {
            var scattered = await client.ScatterAsync(block).WaitAsync(E2E.Timeout);
            var sum = client.Submit(static (int[] values) => values.Sum(), scattered);
            (await sum.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(block.Sum(), $"round {round}");
            sum.Dispose();
            scattered.Dispose();
        }
    }

    [Fact]
    public async Task Errors_raise_by_default_and_are_left_out_when_skipped()
    {
        await using var client = await cluster.ConnectAsync();
        Func<int, int> failOnTwo = static x => x == 2 ? throw new InvalidOperationException("two") : x;
        var futures = client.Map(failOnTwo, Enumerable.Range(0, 5));
        var raised = await E2E.CatchAsync(() => client.GatherAsync<int[]>(futures, GatherErrors.Raise).WaitAsync(E2E.Timeout));
        raised.ShouldBeOfType<TaskException>().RemoteMessage.ShouldBe("two");

        (await client.GatherAsync(futures, GatherErrors.Skip).WaitAsync(E2E.Timeout)).ShouldBe([0, 1, 3, 4]);
        var byName = new Dictionary<string, Future<int>> { ["ok"] = futures[1], ["bad"] = futures[2] };
        var skipped = await client.GatherAsync<Dictionary<string, int>>(byName, GatherErrors.Skip).WaitAsync(E2E.Timeout);
        skipped.ShouldBe(new Dictionary<string, int> { ["ok"] = 1 });
    }

    [Fact]
    public async Task A_dictionary_scatters_under_its_own_keys_to_the_workers_chosen()
    {
        await using var client = await cluster.ConnectAsync();
        var target = cluster.WorkerNames[1];
        var prefix = "scatter-" + Guid.NewGuid().ToString("N")[..8];
        var futures = await client.ScatterByKeyAsync(new Dictionary<string, double[]> { [prefix + "-a"] = [1, 2], [prefix + "-b"] = [3] }, [target]).WaitAsync(E2E.Timeout);
        futures.Keys.Order().ShouldBe([prefix + "-a", prefix + "-b"]);
        futures[prefix + "-a"].Key.ShouldBe(prefix + "-a");
        var info = await client.GetClusterInfoAsync();
        var address = info.Workers.Single(w => w.Name == target).Address;
        var where = await client.WhoHasAsync(futures.Values).WaitAsync(E2E.Timeout);
        where.Values.ShouldAllBe(holders => holders.SequenceEqual(new[] { address }));

        var sum = client.Submit(static (double[] a, double[] b) => a.Sum() + b.Sum(), futures[prefix + "-a"], futures[prefix + "-b"]);
        (await sum.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(6);

        var error = await E2E.CatchAsync(() => client.ScatterAsync([1], ["no-such-worker"]));
        error.ShouldBeOfType<ArgumentException>().Message.ShouldContain("no-such-worker");
    }

    [Fact]
    public async Task Broadcast_to_chosen_workers_and_replicate_put_copies_where_asked()
    {
        await using var client = await cluster.ConnectAsync();
        var all = (await client.GetClusterInfoAsync()).Workers.Select(w => w.Address).Order().ToArray();
        var both = await client.ScatterAsync(["everywhere"], cluster.WorkerNames, broadcast: true).WaitAsync(E2E.Timeout);
        (await client.WhoHasAsync(both))[both[0].Key].Order().ShouldBe(all);

        var one = client.Submit(static (int x) => new string('r', x), 1000, new SubmitOptions { Workers = [cluster.WorkerNames[0]] });
        await one.ResultAsync().WaitAsync(E2E.Timeout);
        (await client.WhoHasAsync([one]))[one.Key].Count.ShouldBe(1);
        await client.ReplicateAsync([one], copies: 2).WaitAsync(E2E.Timeout);
        (await client.WhoHasAsync([one]))[one.Key].Order().ShouldBe(all);
        var nbytes = await client.NBytesAsync().WaitAsync(E2E.Timeout);
        nbytes[one.Key].ShouldBeGreaterThan(1000);
        // A task restricted to the second worker uses its copy there.
        var length = client.Submit(static (string s) => s.Length, one, new SubmitOptions { Workers = [cluster.WorkerNames[1]] });
        (await length.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(1000);
    }
}

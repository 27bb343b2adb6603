using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.ClientApi;

/// <summary>
/// <see cref="Client.RebalanceAsync"/> and <see cref="Client.RetryAsync(IEnumerable{Future}, int, CancellationToken)"/>
/// on real worker processes that never saw this assembly.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class RebalanceTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task Results_held_by_one_worker_are_spread_over_both_and_stay_gatherable_with_who_has_updated()
    {
        await using var client = await cluster.ConnectAsync();
        var info = await client.GetClusterInfoAsync().WaitAsync(E2E.Timeout);
        var first = info.Workers.Single(w => w.Name == cluster.WorkerNames[0]).Address;
        var second = info.Workers.Single(w => w.Name == cluster.WorkerNames[1]).Address;
        var futures = client.Map(static (int i) => Enumerable.Repeat((byte)i, 100_000).ToArray(), Enumerable.Range(1, 6),
            new SubmitOptions { Workers = [cluster.WorkerNames[0]] });
        await client.WaitAsync(futures).WaitAsync(E2E.Timeout);
        (await client.WhoHasAsync(futures)).Values.ShouldAllBe(holders => holders.SequenceEqual(new[] { first }));

        var result = await client.RebalanceAsync(futures).WaitAsync(E2E.Timeout);

        result.Moved.ShouldBe(3);
        result.Abandoned.ShouldBe(0);
        result.MovedBytes.ShouldBeGreaterThanOrEqualTo(3 * 100_000);
        var where = await client.WhoHasAsync(futures).WaitAsync(E2E.Timeout);
        where.Values.ShouldAllBe(holders => holders.Count == 1, "each result moved, not copied");
        where.Values.Count(h => h[0] == first).ShouldBe(3);
        where.Values.Count(h => h[0] == second).ShouldBe(3);
        var held = await client.HasWhatAsync().WaitAsync(E2E.Timeout);
        held[second].Intersect(futures.Select(f => f.Key)).Count().ShouldBe(3);

        var values = await client.GatherAsync(futures).WaitAsync(E2E.Timeout);
        for (var i = 0; i < values.Length; i++) values[i].ShouldAllBe(b => b == (byte)(i + 1));
        // A task restricted to each worker reads the results there.
        var moved = futures.Where(f => where[f.Key][0] == second).ToArray();
        var sum = client.Submit(static (byte[][] parts) => parts.Sum(p => p.Length), Arg.Resolve<byte[][]>(moved), new SubmitOptions { Workers = [cluster.WorkerNames[1]] });
        (await sum.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(300_000);

        (await client.RebalanceAsync(futures).WaitAsync(E2E.Timeout)).Moved.ShouldBe(0, "balanced already");
    }

    [Fact]
    public async Task Unknown_workers_and_results_not_in_memory_are_refused_and_nothing_moves()
    {
        await using var client = await cluster.ConnectAsync();
        var ok = client.Submit(static () => new byte[10_000], new SubmitOptions { Workers = [cluster.WorkerNames[0]] });
        Func<int, int> fail = static x => throw new InvalidOperationException("no " + x);
        var bad = client.Submit(fail, 1);
        await client.WaitAsync([ok, (Future)bad]).WaitAsync(E2E.Timeout);

        var noWorker = await E2E.CatchAsync(() => client.RebalanceAsync(null, ["no-such-worker"]));
        noWorker.ShouldBeOfType<ArgumentException>().Message.ShouldContain("no-such-worker");
        var erred = await E2E.CatchAsync(() => client.RebalanceAsync([ok, bad]));
        erred.ShouldBeOfType<ArgumentException>().Message.ShouldContain(bad.Key);
        (await client.WhoHasAsync([ok]))[ok.Key].Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_retry_with_a_count_lets_a_flaky_task_fail_that_often_more_before_it_errs()
    {
        await using var client = await cluster.ConnectAsync();
        var counter = Path.Combine(Path.GetTempPath(), "shoal-retry-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Fails on its first four runs, counted in a file, then succeeds.
            Func<string, int> flaky = static path =>
            {
                var runs = File.Exists(path) ? int.Parse(File.ReadAllText(path), System.Globalization.CultureInfo.InvariantCulture) + 1 : 1;
                File.WriteAllText(path, runs.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return runs <= 4 ? throw new InvalidOperationException($"run {runs} fails") : runs;
            };
            var future = client.Submit(flaky, counter);
            (await E2E.CatchAsync(() => future.ResultAsync().WaitAsync(E2E.Timeout))).ShouldBeOfType<TaskException>().RemoteMessage.ShouldBe("run 1 fails");

            await future.RetryAsync(retries: 1).WaitAsync(E2E.Timeout);
            (await E2E.CatchAsync(() => future.ResultAsync().WaitAsync(E2E.Timeout))).ShouldBeOfType<TaskException>().RemoteMessage.ShouldBe("run 3 fails", "one more failure was allowed: runs 2 and 3");

            await client.RetryAsync([future], retries: 5).WaitAsync(E2E.Timeout);
            (await future.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(5);
            await Should.ThrowAsync<ArgumentOutOfRangeException>(() => client.RetryAsync([future], retries: -1));
        }
        finally
        {
            File.Delete(counter);
        }
    }
}

using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Coordination;

/// <summary>
/// Futures as values of a <see cref="Variable{T}"/> and items of a <see cref="DistributedQueue{T}"/> (Dask allows both),
/// between clients and tasks on <c>shoal worker</c> processes that never saw this assembly: the task behind the future
/// is kept while the primitive holds it, after its client left, and the receiver gets a usable future of its own.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class CoordinationFutureEndToEndTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_future_in_a_variable_outlives_the_client_that_set_it_and_reaches_clients_and_tasks()
    {
        var name = Unique("v");
        await using (var setter = await cluster.ConnectAsync())
        {
            var future = setter.Submit(static (int x) => x * 7, 6);
            await new Variable<Future<int>>(setter, name).SetAsync(future);
        } // the setter leaves: only the variable holds the task now

        await using var reader = await cluster.ConnectAsync();
        var read = await new Variable<Future<int>>(reader, name).GetAsync(E2E.Timeout);
        (await read.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);

        // A task reads the variable through its worker's client and uses the future there.
        var plusOne = reader.Submit(static async (string n) =>
        {
            var inner = await WorkerContext.GetClientAsync();
            var f = await new Variable<Future<int>>(inner, n).GetAsync(TimeSpan.FromSeconds(60));
            return await f.ResultAsync() + 1;
        }, name, new SubmitOptions { Pure = false });
        (await plusOne.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(43);

        // Read as a plain value, a future is a clear error.
        var wrong = await E2E.CatchAsync(() => new Variable<int>(reader, name).GetAsync(E2E.Timeout));
        wrong.ShouldBeOfType<InvalidCastException>().Message.ShouldContain("Future<TResult>");

        // A new value lets the old future go on the scheduler; the reader's own future still holds it.
        await new Variable<Future<int>>(reader, name).SetAsync(reader.Submit(static (int x) => x, 5));
        (await (await new Variable<Future<int>>(reader, name).GetAsync()).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(5);
        (await read.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
        (await reader.WhoHasAsync([read]))[read.Key].ShouldNotBeEmpty();
    }

    [Fact]
    public async Task Futures_queued_by_a_client_that_left_are_taken_and_gathered_by_a_task()
    {
        var name = Unique("q");
        await using (var producer = await cluster.ConnectAsync())
        {
            var queue = new DistributedQueue<Future<int>>(producer, name);
            foreach (var future in producer.Map(static (int x) => x * x, Enumerable.Range(1, 3))) await queue.PutAsync(future);
        }

        await using var consumer = await cluster.ConnectAsync();
        var sum = consumer.Submit(static async (string n) =>
        {
            var inner = await WorkerContext.GetClientAsync();
            var queue = new DistributedQueue<Future<int>>(inner, n);
            var total = 0;
            for (var i = 0; i < 3; i++) total += await (await queue.GetAsync(TimeSpan.FromSeconds(60))).ResultAsync();
            return total;
        }, name, new SubmitOptions { Pure = false });
        (await sum.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(1 + 4 + 9);
        (await new DistributedQueue<Future<int>>(consumer, name).CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Another_clients_future_or_one_the_scheduler_forgot_is_refused()
    {
        await using var first = await cluster.ConnectAsync();
        await using var second = await cluster.ConnectAsync();
        var future = first.Submit(static (int x) => x, 1);
        var notOurs = await E2E.CatchAsync(() => new Variable<Future<int>>(second, Unique("v")).SetAsync(future));
        notOurs.ShouldBeOfType<InvalidOperationException>().Message.ShouldContain("belongs to another client");

        var cancelled = first.Submit(static async (CancellationToken token) => { await Task.Delay(Timeout.Infinite, token); return 0; });
        await first.CancelAsync([cancelled]);
        var gone = await E2E.CatchAsync(() => new DistributedQueue<Future<int>>(first, Unique("q")).PutAsync(cancelled));
        gone.ShouldBeOfType<InvalidOperationException>().Message.ShouldContain("not known to the scheduler");
    }
}

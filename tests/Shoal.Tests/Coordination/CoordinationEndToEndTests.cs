using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Coordination;

/// <summary>
/// Coordination primitives held by the scheduler, between this test's clients and tasks on two single-threaded
/// <c>shoal worker</c> processes that never saw this assembly (the tasks reach them through their worker's client).
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class CoordinationEndToEndTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Tasks_and_clients_meet_through_a_variable_a_queue_and_an_event()
    {
        await using var client = await cluster.ConnectAsync();
        var names = new[] { Unique("go"), Unique("q"), Unique("v") };
        // The task waits for the event, reads the variable, and puts three items into the queue.
        var producer = client.Submit(static async (string[] n) =>
        {
            var inner = await WorkerContext.GetClientAsync();
            if (!await new DistributedEvent(inner, n[0]).WaitAsync(TimeSpan.FromSeconds(60))) return -1;
            var start = await new Variable<int>(inner, n[2]).GetAsync();
            var queue = new DistributedQueue<int>(inner, n[1]);
            for (var i = 0; i < 3; i++) await queue.PutAsync(start + i);
            return 3;
        }, names, new SubmitOptions { Pure = false });

        await new Variable<int>(client, names[2]).SetAsync(40);
        var queue = new DistributedQueue<int>(client, names[1]);
        await Should.ThrowAsync<TimeoutException>(() => queue.GetAsync(TimeSpan.FromMilliseconds(50)));
        await new DistributedEvent(client, names[0]).SetAsync();
        var items = new[] { await queue.GetAsync(E2E.Timeout), await queue.GetAsync(E2E.Timeout), await queue.GetAsync(E2E.Timeout) };
        items.ShouldBe([40, 41, 42]);
        (await producer.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(3);
        (await queue.CountAsync()).ShouldBe(0);
        (await new DistributedEvent(client, names[0]).IsSetAsync()).ShouldBeTrue();
    }

    [Fact]
    public async Task A_lock_is_held_by_one_client_at_a_time_and_a_cancelled_wait_loses_nothing()
    {
        await using var first = await cluster.ConnectAsync();
        await using var second = await cluster.ConnectAsync();
        var name = Unique("lock");
        var held = await new DistributedLock(first, name).AcquireAsync();
        (await new DistributedLock(second, name).TryAcquireAsync(TimeSpan.FromMilliseconds(50))).ShouldBeNull();
        using (var cancel = new CancellationTokenSource())
        {
            var waiting = new DistributedLock(second, name).AcquireAsync(cancel.Token);
            await cancel.CancelAsync();
            await Should.ThrowAsync<OperationCanceledException>(() => waiting);
        }

        await held.DisposeAsync();
        await using var next = await new DistributedLock(second, name).AcquireAsync().WaitAsync(E2E.Timeout);
    }

    [Fact]
    public async Task A_published_dataset_outlives_its_publisher_and_reaches_another_client()
    {
        var name = Unique("dataset");
        await using (var publisher = await cluster.ConnectAsync())
        {
            var squares = publisher.Map(static (int x) => x * x, Enumerable.Range(0, 10));
            await publisher.PublishAsync(name, squares);
            var error = await E2E.CatchAsync(() => publisher.PublishAsync(name, squares));
            error.ShouldBeOfType<InvalidOperationException>().Message.ShouldContain("published already");
        }

        await using var reader = await cluster.ConnectAsync();
        (await reader.ListDatasetsAsync()).ShouldContain(name);
        var futures = await reader.GetDatasetAsync<int>(name);
        (await reader.GatherAsync(futures).WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 10).Select(x => x * x));
        await reader.UnpublishAsync(name);
        (await E2E.CatchAsync(() => reader.GetDatasetAsync<int>(name))).ShouldBeOfType<KeyNotFoundException>();
        (await reader.GatherAsync(futures).WaitAsync(E2E.Timeout)).Length.ShouldBe(10); // the reader still holds them
    }
}

/// <summary>A lease whose holder dies is released: the holder is a task whose worker process is killed.</summary>
[Collection(RealProcessesCollection.Name)]
public sealed class CoordinationHolderDeathTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task A_lock_held_by_a_task_is_released_when_its_worker_process_is_killed()
    {
        await using var client = await cluster.ConnectAsync();
        var name = "lock-" + Guid.NewGuid().ToString("N")[..8];
        var holder = client.Submit(static async (string lockName, CancellationToken cancellationToken) =>
        {
            var inner = await WorkerContext.GetClientAsync();
            await new DistributedLock(inner, lockName).AcquireAsync(cancellationToken);
            await new Variable<int>(inner, lockName + "-holder").SetAsync(Environment.ProcessId);
            await Task.Delay(Timeout.Infinite, cancellationToken); // holds the lock until its process dies
            return 0;
        }, name, new SubmitOptions { Pure = false });

        var pid = await new Variable<int>(client, name + "-holder").GetAsync(E2E.Timeout);
        (await new DistributedLock(client, name).TryAcquireAsync(TimeSpan.FromMilliseconds(50))).ShouldBeNull();
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        await using var lease = await new DistributedLock(client, name).TryAcquireAsync(E2E.Timeout);
        lease.ShouldNotBeNull("the dead holder's lease was not released");
        await client.CancelAsync(holder); // its retry on the restarted worker would take the lock again
    }
}

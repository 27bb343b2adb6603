using Microsoft.Extensions.Logging;
using System.Diagnostics;

namespace Shoal.Tests.EndToEnd;

/// <summary>A user's own types across processes</summary>
public sealed record Reading(string Sensor, double[] Values, Dictionary<string, int> Tags);

/// <summary>An exception type the workers only know from the shipped test assembly.</summary>
public sealed class SensorException(string message) : Exception(message);

/// <summary>
/// Over TCP with real processes: user types as arguments and results, retries, resources, large
/// values, several clients, futures released by the garbage collector, and a scheduler that dies.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class TcpValueAndLifecycleTests(TcpClusterFixture cluster) : TcpValueAndLifecycleScenarios(cluster), IClassFixture<TcpClusterFixture>;

/// <summary>The scenarios of <see cref="TcpValueAndLifecycleTests"/>, for any cluster of real processes (plain TCP, or TLS).</summary>
public abstract class TcpValueAndLifecycleScenarios
{
    private readonly TcpClusterFixture _cluster;

    protected TcpValueAndLifecycleScenarios(TcpClusterFixture cluster) => _cluster = cluster;

    [Fact]
    public async Task User_types_travel_as_arguments_results_and_exceptions()
    {
        await using var client = await _cluster.ConnectAsync();
        var input = new Reading("s1", [1.5, 2.5], new Dictionary<string, int> { ["floor"] = 3 });
        var doubled = client.Submit(static (Reading r) => r with { Sensor = r.Sensor + "!", Values = r.Values.Select(v => v * 2).ToArray() }, input);
        var result = await doubled.ResultAsync().WaitAsync(E2E.Timeout);
        result.Sensor.ShouldBe("s1!");
        result.Values.ShouldBe([3.0, 5.0]);
        result.Tags["floor"].ShouldBe(3);

        var chained = client.Submit(static (Reading r) => r.Values.Sum(), doubled);
        (await chained.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(8.0);

        var failing = client.Submit(static (Reading r) => r.Sensor.Length > 0 ? throw new SensorException($"sensor {r.Sensor} is broken") : 0, input);
        var error = await Should.ThrowAsync<TaskException>(failing.ResultAsync().WaitAsync(E2E.Timeout));
        error.RemoteTypeName.ShouldBe(typeof(SensorException).FullName);
        error.RemoteMessage.ShouldBe("sensor s1 is broken");
    }

    private static (StringWriter Log, ILoggerFactory Loggers) WarningLog()
    {
        var log = new StringWriter();
        var loggers = LoggerFactory.Create(b => b.AddProvider(new Shoal.Hosting.TextWriterLoggerProvider(TextWriter.Synchronized(log), LogLevel.Warning)));
        return (log, loggers);
    }

    [Fact]
    public async Task A_large_captured_value_still_works_but_draws_a_warning_that_suggests_scatter()
    {
        // (Made in a helper: a lambda here capturing the writer would share its closure with the
        // task lambdas below, and a StringWriter cannot travel.)
        var (log, loggers) = WarningLog();
        using var disposeLoggers = loggers;
        await using var client = await Client.ConnectAsync(_cluster.SchedulerAddress, new ClientOptions { LoggerFactory = loggers }).WaitAsync(E2E.Timeout);
        var small = new[] { 1, 2, 3 };
        (await client.Submit(() => small.Sum()).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(6);
        log.ToString().ShouldNotContain("ScatterAsync");

        var big = new long[1_000_000]; // 8 MB
        big[^1] = 7;
        (await client.Submit(() => big.Length + big[^1]).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(1_000_007L);
        var warning = log.ToString();
        warning.ShouldContain("ScatterAsync");
        warning.ShouldContain(nameof(big));
    }

    [Fact]
    public async Task Large_values_travel_between_workers_and_back()
    {
        await using var client = await _cluster.ConnectAsync();
        var workers = _cluster.WorkerNames;
        // Made on one worker, used on the other: the second worker fetches it from the first.
        var big = client.Submit(static () => Enumerable.Range(0, 4_000_000).Select(i => (long)i).ToArray(), new SubmitOptions { Workers = [workers[0]] });
        var sum = client.Submit(static (long[] v) => v.Sum(), big, new SubmitOptions { Workers = [workers[1]] });
        (await sum.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(3_999_999L * 4_000_000L / 2);
        var back = await big.ResultAsync().WaitAsync(E2E.Timeout);
        back.Length.ShouldBe(4_000_000);
        back[^1].ShouldBe(3_999_999L);
        var text = client.Submit(static (int n) => new string('x', n), 3_000_000);
        (await text.ResultAsync().WaitAsync(E2E.Timeout)).Length.ShouldBe(3_000_000);
    }

    /// <summary>Counts its attempts in a file (the workers are other processes) and fails the first two.</summary>
    private static int FailTwiceThenSucceed(string attemptsFile)
    {
        File.AppendAllText(attemptsFile, "x");
        var attempt = File.ReadAllText(attemptsFile).Length;
        if (attempt <= 2) throw new InvalidOperationException($"flaky attempt {attempt}");
        return attempt;
    }

    [Fact]
    public async Task Retries_rerun_a_flaky_task_on_the_workers()
    {
        await using var client = await _cluster.ConnectAsync();
        var dir = Directory.CreateTempSubdirectory("shoal-e2e-retry-").FullName;
        try
        {
            var succeeds = client.Submit(FailTwiceThenSucceed, Path.Combine(dir, "enough"), new SubmitOptions { Retries = 2 });
            var fails = client.Submit(FailTwiceThenSucceed, Path.Combine(dir, "few"), new SubmitOptions { Retries = 1 });
            (await succeeds.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(3);
            (await Should.ThrowAsync<TaskException>(fails.ResultAsync().WaitAsync(E2E.Timeout))).RemoteMessage.ShouldBe("flaky attempt 2");
            File.ReadAllText(Path.Combine(dir, "few")).Length.ShouldBe(2);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Returns when it ran (monotonic clock, comparable across processes on one machine) and where.</summary>
    private static (string Worker, long Start, long Stop) TimeOnWorker(int _)
    {
        var start = Stopwatch.GetTimestamp();
        Thread.Sleep(20); // the work
        return (WorkerContext.Name!, start, Stopwatch.GetTimestamp());
    }

    [Fact]
    public async Task A_worker_started_with_resources_runs_one_resource_task_at_a_time_on_its_threads()
    {
        const string gpuWorker = "e2e-tcp-gpu";
        await using var client = await _cluster.ConnectAsync();
        var worker = ShoalProcess.Start(["worker", _cluster.SchedulerAddress, "--nthreads", "3", "--name", gpuWorker, "--resources", "GPU=1", .. _cluster.WorkerArguments]);
        try
        {
            (await E2E.PollAsync(async () => (await client.GetClusterInfoAsync()).Workers.Any(w => w.Name == gpuWorker), E2E.Timeout)).ShouldBeTrue();
            var info = await client.GetClusterInfoAsync().WaitAsync(E2E.Timeout);
            var described = info.Workers.Single(w => w.Name == gpuWorker);
            described.NThreads.ShouldBe(3);
            described.Resources["GPU"].ShouldBe(1);

            var runs = await client.GatherAsync(client.Map(TimeOnWorker, Enumerable.Range(0, 12),
                new SubmitOptions { Pure = false, Resources = new Dictionary<string, double> { ["GPU"] = 1 } })).WaitAsync(E2E.Timeout);
            runs.ShouldAllBe(r => r.Worker == gpuWorker);
            var ordered = runs.OrderBy(r => r.Start).ToArray();
            for (var i = 1; i < ordered.Length; i++) ordered[i].Start.ShouldBeGreaterThanOrEqualTo(ordered[i - 1].Stop, "two GPU tasks overlapped");
        }
        finally
        {
            await worker.DisposeAsync();
        }

        // Leave the shared cluster as it was: two workers.
        (await E2E.PollAsync(async () => (await client.GetClusterInfoAsync()).Workers.Count == 2, E2E.Timeout)).ShouldBeTrue();
    }

    private static string Upper(string text) => text.ToUpperInvariant();

    [Fact]
    public async Task Two_clients_share_identical_tasks_and_one_leaving_does_not_take_the_result_from_the_other()
    {
        await using var first = await _cluster.ConnectAsync();
        await using var second = await _cluster.ConnectAsync();
        var token = Guid.NewGuid().ToString("N");
        var a = first.Submit(Upper, token);
        var b = second.Submit(Upper, token);
        b.Key.ShouldBe(a.Key);
        (await a.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(token.ToUpperInvariant());
        await first.DisposeAsync();
        (await b.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(token.ToUpperInvariant());
        var c = second.Submit(static (string t) => t.Length, b);
        (await c.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(32);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task SubmitAndDropAsync(Client client)
    {
        var dropped = client.Map(static (int x) => x + 1, Enumerable.Range(0, 100));
        await client.GatherAsync(dropped).WaitAsync(E2E.Timeout);
    }

    [Fact]
    public async Task Futures_that_are_collected_are_released_like_disposed_ones()
    {
        await using var client = await _cluster.ConnectAsync();
        var before = (await client.GetClusterInfoAsync()).Tasks;
        await SubmitAndDropAsync(client);
        var released = await E2E.PollAsync(async () =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return (await client.GetClusterInfoAsync()).Tasks <= before;
        }, E2E.Timeout);
        released.ShouldBeTrue($"the scheduler still holds {(await client.GetClusterInfoAsync()).Tasks} tasks (had {before} before)");
    }

    [Fact]
    public async Task AsCompleted_and_map_over_futures_work_across_processes()
    {
        await using var client = await _cluster.ConnectAsync();
        var xs = client.Map(static (int x) => x, Enumerable.Range(0, 50));
        var ys = client.Map(static (int x) => x * 10, xs);
        var seen = new List<int>();
        await foreach (var done in client.AsCompleted(ys).WithCancellation(new CancellationTokenSource(E2E.Timeout).Token))
        {
            done.Status.ShouldBe(FutureStatus.Finished);
            seen.Add(await done);
        }

        seen.Order().ShouldBe(Enumerable.Range(0, 50).Select(x => x * 10));
        ys[7].Result.ShouldBe(70);
    }

    [Fact]
    public async Task Several_clients_and_threads_submit_at_once()
    {
        var clients = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => _cluster.ConnectAsync()));
        try
        {
            var totals = await Task.WhenAll(clients.SelectMany((client, ci) => Enumerable.Range(0, 2).Select(ti => Task.Run(async () =>
            {
                var seed = ci * 10 + ti;
                var futures = new List<Future<int>>();
                for (var i = 0; i < 300; i++) futures.Add(client.Submit(static (int s, int x) => s * 1000 + x, seed, i));
                var sum = client.Submit(static (int[] v) => v.Sum(), futures);
                return (seed, total: await sum.ResultAsync());
            })))).WaitAsync(E2E.Timeout);
            foreach (var (seed, total) in totals) total.ShouldBe(seed * 1000 * 300 + 299 * 300 / 2);
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Futures_fail_instead_of_hanging_when_the_scheduler_dies()
    {
        await using var scheduler = ShoalProcess.Start(["scheduler", "--port", "0"]);
        var address = await scheduler.WaitForSchedulerAddressAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(address).WaitAsync(E2E.Timeout);
        var pending = client.Submit(static () => 1); // no workers: it waits
        (await E2E.PollAsync(async () => (await client.GetClusterInfoAsync()).Tasks == 1, E2E.Timeout)).ShouldBeTrue();
        scheduler.KillAlone();
        using var timeout = new CancellationTokenSource(E2E.Timeout);
        var error = await E2E.CatchAsync(() => pending.ResultAsync(timeout.Token));
        timeout.IsCancellationRequested.ShouldBeFalse("the future hung until the test's timeout");
        pending.Status.ShouldBe(FutureStatus.Cancelled);

        // Every call that needs the scheduler fails the same way, whichever met the loss (not a transport error).
        Exception[] errors =
        [
            error,
            await E2E.CatchAsync(() => client.GatherAsync([pending]).WaitAsync(E2E.Timeout)),
            await E2E.CatchAsync(() => client.GetClusterInfoAsync().WaitAsync(E2E.Timeout)),
            await E2E.CatchAsync(() => client.WhoHasAsync([pending]).WaitAsync(E2E.Timeout)),
            await E2E.CatchAsync(() => client.Submit(static () => 2).ResultAsync().WaitAsync(E2E.Timeout)),
        ];
        foreach (var e in errors)
        {
            var lost = e.ShouldBeOfType<SchedulerConnectionLostException>(e.ToString());
            lost.ShouldBeAssignableTo<OperationCanceledException>();
            lost.Message.ShouldContain($"the connection to the scheduler at {address} was lost");
            lost.SchedulerAddress.ShouldBe(address);
        }
    }
}

using System.Diagnostics;
using Shoal.Comm;
using Shoal.Comm.Rpc;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Xunit.Abstractions;

namespace Shoal.Tests.Resilience;

[Collection(Shoal.Tests.EndToEnd.RealProcessesCollection.Name)]
public class LostWorkerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_a_worker_process_in_a_10000_task_graph_gives_the_correct_result_and_reruns_only_lost_results()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = 2, ThreadsPerWorker = 1 });
        // The client fetches leaf 1500 below; holding it, it would put it back rather than let it be recomputed
        // (ClientRestoreTests): here every lost result must be recomputed, so it holds nothing for recovery.
        await using var client = await Client.ConnectAsync(cluster, new ClientOptions { HoldResultsForRecovery = false });

        // 5,000 leaves of ~1 ms, 4,999 pairwise combinations, one sum: 10,000 tasks.
        var leaves = client.Map(static (int x) => { Thread.Sleep(1); return x + 1; }, Enumerable.Range(0, 5000));
        var pairs = new Future<long>[leaves.Length - 1];
        for (var i = 0; i < pairs.Length; i++) pairs[i] = client.Submit(static (int p, int q) => (long)p * q % 1009, leaves[i], leaves[i + 1]);
        var total = client.Submit(static (long[] v) => v.Sum(), pairs);
        long expected = 0;
        for (var i = 0; i < pairs.Length; i++) expected += (long)(i + 1) * (i + 2) % 1009;

        await leaves[1500].ResultAsync().WaitAsync(TimeSpan.FromSeconds(60));
        total.IsDone.ShouldBeFalse("the graph must still be running when the worker dies");
        var victim = cluster.WorkerProcessIds[0];
        var killedAt = Stopwatch.StartNew();
        Process.GetProcessById(victim).Kill();
        var detected = await Eventually.HoldsAsync(() => cluster.Scheduler.Departures.Count > 0, TimeSpan.FromSeconds(30), "the scheduler removes the killed worker");

        (await total.ResultAsync().WaitAsync(TimeSpan.FromSeconds(120))).ShouldBe(expected);
        // Leaves the dead worker held were recomputed elsewhere: the client finds them there.
        (await client.GatherAsync(leaves).WaitAsync(TimeSpan.FromSeconds(60))).ShouldBe(Enumerable.Range(1, 5000));
        var departure = cluster.Scheduler.Departures.ShouldHaveSingleItem();
        departure.Cause.ShouldContain("connection lost");
        var extra = cluster.Scheduler.TasksDone - 10_000;
        output.WriteLine($"lost worker detected after {detected.TotalMilliseconds:0} ms; {departure.Lost} results lost with it; " +
            $"{extra} executions beyond 10,000; total {killedAt.Elapsed.TotalSeconds:0.0} s after the kill");
        // Every future is alive, so every lost result is needed again: exactly those run twice.
        departure.Lost.ShouldBeGreaterThan(0);
        extra.ShouldBe(departure.Lost);
    }

    [Fact]
    public async Task A_task_that_kills_its_workers_errs_with_WorkerKilledException_naming_task_worker_and_cause()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true,
            Workers = 1,
            ThreadsPerWorker = 1,
            ConfigureScheduler = o => o with { Config = new SchedulerConfig { AllowedFailures = 0 } },
        });
        await using var client = await Client.ConnectAsync(cluster);
        var worker = cluster.WorkerNames.ShouldHaveSingleItem();

        var deadly = client.Submit(static () => { Process.GetCurrentProcess().Kill(); return 1; });

        var error = await Should.ThrowAsync<TaskException>(() => deadly.ResultAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        error.RemoteTypeName.ShouldBe("Shoal.WorkerKilledException");
        error.Key.ShouldBe(deadly.Key);
        error.RemoteMessage.ShouldContain(deadly.Key);
        error.RemoteMessage.ShouldContain(worker);
        error.RemoteMessage.ShouldContain("connection lost");
        output.WriteLine(error.Message);
    }

    [Fact]
    public async Task A_silent_worker_is_removed_after_worker_ttl_and_its_tasks_run_elsewhere()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Workers = 1,
            ThreadsPerWorker = 1,
            ConfigureScheduler = o => o with { WorkerTtl = TimeSpan.FromSeconds(3), HeartbeatInterval = TimeSpan.FromMilliseconds(100) },
        });
        // A worker that registers, then never says anything again (a hung process, a cut link).
        await using var silent = await Dial.ConnectAsync(cluster.SchedulerAddress, Role.Worker, "silent", new DialOptions(), CancellationToken.None);
        var registeredAt = Stopwatch.StartNew();
        silent.Send(new Envelope { RegisterWorker = new RegisterWorker { Name = "silent", Address = "inproc://silent-nowhere", Nthreads = 4 } });
        await Eventually.HoldsAsync(() => cluster.Scheduler.WorkerCount == 2, TimeSpan.FromSeconds(10), "the silent worker registers");
        await using var client = await Client.ConnectAsync(cluster);

        var squares = client.Map(static (int x) => x * x, Enumerable.Range(0, 40), new SubmitOptions { Pure = false });
        var results = await Task.WhenAll(squares.Select(f => f.ResultAsync())).WaitAsync(TimeSpan.FromSeconds(30));

        results.ShouldBe(Enumerable.Range(0, 40).Select(x => x * x));
        var departure = cluster.Scheduler.Departures.ShouldHaveSingleItem();
        departure.Worker.ShouldBe("silent");
        departure.Cause.ShouldContain("worker-ttl");
        output.WriteLine($"silent worker removed {registeredAt.Elapsed.TotalSeconds:0.00} s after it registered (ttl 3 s)");
    }

    [Fact]
    public async Task A_worker_paused_for_memory_gets_no_new_tasks_until_it_resumes()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1 });
        // A worker that never runs anything: tasks placed on it would never finish.
        await using var paused = await Dial.ConnectAsync(cluster.SchedulerAddress, Role.Worker, "paused", new DialOptions(), CancellationToken.None);
        paused.Send(new Envelope { RegisterWorker = new RegisterWorker { Name = "paused", Address = "inproc://paused-nowhere", Nthreads = 4 } });
        paused.Send(new Envelope { Heartbeat = new Heartbeat { Paused = true } });
        await Eventually.HoldsAsync(() => cluster.Scheduler.Heartbeats.Any(h => h.Worker == "paused" && h.Beat is { Paused: true }), TimeSpan.FromSeconds(10), "the paused worker registers");
        await using var client = await Client.ConnectAsync(cluster);

        var squares = client.Map(static (int x) => x * x, Enumerable.Range(0, 40), new SubmitOptions { Pure = false });
        var results = await Task.WhenAll(squares.Select(f => f.ResultAsync())).WaitAsync(TimeSpan.FromSeconds(30));
        results.ShouldBe(Enumerable.Range(0, 40).Select(x => x * x));

        // Resumed, it gets its share of the next graph (the test only checks that tasks reach it).
        paused.Send(new Envelope { Heartbeat = new Heartbeat { Paused = false } });
        await Eventually.HoldsAsync(() => cluster.Scheduler.Heartbeats.Any(h => h.Worker == "paused" && h.Beat is { Paused: false }), TimeSpan.FromSeconds(10), "the worker resumes");
        var cubes = client.Map(static (int x) => x * x * x, Enumerable.Range(0, 40), new SubmitOptions { Pure = false });
        var compute = await ReceiveComputeAsync(paused).WaitAsync(TimeSpan.FromSeconds(30));
        cubes.Select(f => f.Key).ShouldContain(compute.Key);
    }

    private static async Task<ComputeTask> ReceiveComputeAsync(IConnection connection)
    {
        while (true)
        {
            var incoming = await connection.ReceiveAsync(CancellationToken.None) ?? throw new InvalidOperationException("closed");
            if (incoming.Message.BodyCase == Envelope.BodyOneofCase.ComputeTask) return incoming.Message.ComputeTask;
        }
    }
}

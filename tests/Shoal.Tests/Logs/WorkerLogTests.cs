using Microsoft.Extensions.Logging;
using Shoal.Execution;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.Dashboard;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Logs;

/// <summary>
/// Workers' log lines reach the scheduler with their heartbeats and are read back by clients
/// (<see cref="Client.GetWorkerLogsAsync"/>) and the dashboard (/api/v1/logs): what tasks write
/// through <see cref="WorkerContext.Logger"/>, and the workers' own warnings; bounded on both sides.
/// </summary>
public sealed class WorkerLogTests
{
    [Fact]
    public async Task Lines_tasks_log_reach_the_client_and_the_dashboard_with_their_task_and_worker()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2, ThreadsPerWorker = 1, DashboardAddress = "127.0.0.1:0" })
            .WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var futures = client.Map(static (int x) =>
        {
            WorkerContext.Logger.LogInformation("squaring {X}", x);
            if (x == 3) WorkerContext.Logger.LogWarning("three is odd");
            WorkerContext.Logger.LogDebug("not forwarded");
            return x * x;
        }, Enumerable.Range(0, 5));
        await client.GatherAsync(futures).WaitAsync(E2E.Timeout);

        IReadOnlyList<WorkerLogEntry> lines = [];
        (await E2E.PollAsync(async () => (lines = await client.GetWorkerLogsAsync(tasksOnly: true)).Count == 6, E2E.Timeout))
            .ShouldBeTrue(string.Join("\n", lines));
        var keys = futures.Select(f => f.Key).ToHashSet();
        lines.ShouldAllBe(l => l.TaskKey != null && keys.Contains(l.TaskKey) && l.Category == "Shoal.Task");
        lines.Where(l => l.Level == LogLevel.Information).Select(l => l.Message).Order().ShouldBe(Enumerable.Range(0, 5).Select(x => $"squaring {x}"));
        var warning = lines.Single(l => l.Level == LogLevel.Warning);
        warning.Message.ShouldBe("three is odd");
        warning.TaskKey.ShouldBe(futures[3].Key);
        var workerNames = (await client.GetClusterInfoAsync()).Workers.Select(w => w.Name).ToHashSet();
        lines.ShouldAllBe(l => workerNames.Contains(l.Worker));
        lines.Select(l => l.Sequence).ShouldBeInOrder();

        // Filters: level, worker, and only what is new.
        (await client.GetWorkerLogsAsync(minLevel: LogLevel.Warning)).ShouldHaveSingleItem().Message.ShouldBe("three is odd");
        (await client.GetWorkerLogsAsync(worker: warning.Worker, tasksOnly: true)).ShouldAllBe(l => l.Worker == warning.Worker);
        var last = lines.Max(l => l.Sequence);
        (await client.GetWorkerLogsAsync(after: last)).ShouldBeEmpty();
        var more = client.Submit(static () => { WorkerContext.Logger.LogError("later"); return 1; });
        await more.ResultAsync().WaitAsync(E2E.Timeout);
        (await E2E.PollAsync(async () => (await client.GetWorkerLogsAsync(after: last)).Any(l => l.Message == "later" && l.TaskKey == more.Key), E2E.Timeout)).ShouldBeTrue();

        // The dashboard's API shows the same lines.
        using var http = DashboardTestSupport.Http(cluster.DashboardLink!);
        var json = await http.GetJsonAsync("/api/v1/logs");
        json.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("message").GetString()).ShouldContain("three is odd");
        json.GetProperty("last_sequence").GetUInt64().ShouldBeGreaterThan((ulong)last);
        (await http.GetJsonAsync($"/api/v1/logs?after={json.GetProperty("last_sequence").GetUInt64()}")).GetProperty("lines").GetArrayLength().ShouldBe(0);
        GC.KeepAlive(futures);
    }

    [Fact]
    public async Task Asking_for_lines_after_a_negative_number_is_refused()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1, DashboardAddress = null }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        (await Should.ThrowAsync<ArgumentOutOfRangeException>(() => client.GetWorkerLogsAsync(after: -1))).ParamName.ShouldBe("after");
        (await client.GetWorkerLogsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public void Outside_a_task_the_task_logger_writes_nowhere()
    {
        WorkerContext.Logger.IsEnabled(LogLevel.Critical).ShouldBeFalse();
        WorkerContext.Logger.LogError("nobody hears this");
    }

    [Fact]
    public void The_worker_forwards_its_own_lines_from_its_forward_level_and_drops_past_its_buffer()
    {
        var buffer = new WorkerLogBuffer(capacity: 3);
        var logger = new ForwardingLogger(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, buffer, LogLevel.Warning, "Shoal.Execution.WorkerServer");
        logger.LogInformation("routine");
        logger.LogWarning("first");
        logger.LogError(new InvalidOperationException("boom"), "second");
        var batch = buffer.Drain()!;
        batch.Lines.Select(l => l.Message).ShouldBe(["first", "second (System.InvalidOperationException: boom)"]);
        batch.Lines.ShouldAllBe(l => l.Category == "Shoal.Execution.WorkerServer" && l.Key == "");
        batch.Dropped.ShouldBe(0UL);
        buffer.Drain().ShouldBeNull();

        for (var i = 0; i < 5; i++) logger.LogWarning("flood {I}", i);
        batch = buffer.Drain()!;
        batch.Lines.Count.ShouldBe(3);
        batch.Dropped.ShouldBe(2UL);
        buffer.Drain().ShouldBeNull();
    }

    [Fact]
    public void The_scheduler_keeps_a_bounded_ring_per_worker_and_numbers_every_line()
    {
        var ring = new WorkerLogRing(linesPerWorker: 2);
        ring.Add("a", Batch("a1", "a2", "a3"));
        ring.Add("b", Batch("b1"));
        ring.Read(0, null, 0, false).Select(l => l.Message).ShouldBe(["a2", "a3", "b1"]);
        ring.Read(0, null, 0, false).Select(l => l.Sequence).ShouldBe([2UL, 3UL, 4UL]);
        ring.Read(3, null, 0, false).Select(l => l.Message).ShouldBe(["b1"]);
        ring.Read(0, "a", 0, false).ShouldAllBe(l => l.Worker == "a");
        var dropped = Batch("b2");
        dropped.Dropped = 7;
        ring.Add("b", dropped);
        ring.Read(4, "b", (int)LogLevel.Warning, false).Single().Message.ShouldContain("7 log lines were dropped");
        ring.LastSequence.ShouldBe(6UL);
    }

    private static WorkerLogs Batch(params string[] messages)
    {
        var batch = new WorkerLogs();
        foreach (var m in messages) batch.Lines.Add(new WorkerLogLine { Message = m, Level = (int)LogLevel.Information, Category = "test" });
        return batch;
    }
}

using System.Text;
using Shoal.Dashboard;
using Shoal.Metrics;

namespace Shoal.Tests.Dashboard;

public sealed class MetricsTextTests
{
    [Fact]
    public async Task The_scheduler_meter_exports_the_latest_snapshot_as_prometheus_text()
    {
        var observer = new SchedulerObserver(Shoal.Scheduling.SchedulerServer.StateNames);
        using var metrics = new SchedulerMetrics(observer);
        using var export = new PrometheusExport(metrics.Meter);
        var states = new int[Shoal.Scheduling.SchedulerState.StateKinds];
        states[(int)Shoal.Scheduling.TaskState.Memory] = 7;
        observer.Publish(new SchedulerSnapshot
        {
            Time = 1, Taken = DateTimeOffset.UtcNow, StateCounts = states, Groups = [], Clients = 1, TasksDone = 9, AdaptiveTarget = 1,
            Workers = [new WorkerSnapshot { Id = 0, Name = "w0", Address = "tcp://x", Threads = 2, MemoryLimit = 100, Processing = 1, Occupancy = 0, HeldResults = 7,
                ManagedBytes = 10, SpilledBytes = 0, ProcessMemory = 50, Cpu = 12, Paused = false, Retiring = false, LastSeenAgo = 0, HttpAddress = "" }],
        });
        metrics.TaskFinished("inc", 0.002, 8);
        using var stream = new MemoryStream();
        await export.Registry.CollectAndExportAsTextAsync(stream);
        var text = Encoding.UTF8.GetString(stream.ToArray());
        text.ShouldContain("shoal_scheduler_workers 1");
        text.ShouldContain("shoal_scheduler_tasks{state=\"memory\"} 7");
        text.ShouldContain("shoal_scheduler_worker_memory{kind=\"unmanaged\",worker=\"w0\"} 40");
        text.ShouldContain("shoal_scheduler_task_duration_bucket{group=\"inc\",le=\"0.005\"} 1");
    }
}

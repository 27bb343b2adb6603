using Shoal.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Shoal.Tests.Dashboard;

/// <summary>
/// The scheduler's /metrics as Prometheus itself sees it: Debian's promtool checks the text, and a
/// real Prometheus server (started here on loopback, with its own config and storage in a temp
/// directory, and stopped here) scrapes it; its query API must agree with the scheduler's state.
/// </summary>
public sealed class PrometheusScrapeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Promtool_accepts_the_metrics_and_a_real_prometheus_reads_the_schedulers_state()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2, ThreadsPerWorker = 1, DashboardAddress = "127.0.0.1:0" })
            .WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var held = client.Map(static (int x) => x * 3, Enumerable.Range(0, 50));
        await client.GatherAsync(held).WaitAsync(E2E.Timeout);

        var target = new Uri(cluster.DashboardLink!);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var text = await http.GetStringAsync(new Uri(target, "/metrics"));
        text.ShouldContain("shoal_scheduler_workers 2");
        text.ShouldContain("shoal_scheduler_tasks{state=\"memory\"} 50");
        var (code, complaints) = await DashboardTestSupport.RunToolAsync("promtool", ["check", "metrics"], text);
        code.ShouldBe(0, complaints);

        var prometheus = await PrometheusServer.StartAsync(target.Authority);
        try
        {
            (await E2E.PollAsync(() => prometheus.QueryAsync(http, "shoal_scheduler_workers", 2), E2E.Timeout)).ShouldBeTrue("Prometheus reports 2 workers");
            (await E2E.PollAsync(() => prometheus.QueryAsync(http, "sum(shoal_scheduler_tasks{state=\"memory\"})", 50), E2E.Timeout)).ShouldBeTrue("Prometheus reports 50 tasks in memory");
            (await E2E.PollAsync(() => prometheus.QueryAsync(http, "sum(shoal_scheduler_task_duration_count)", 50), E2E.Timeout)).ShouldBeTrue("Prometheus counts 50 task durations");
        }
        finally
        {
            await prometheus.DisposeAsync();
            output.WriteLine(await prometheus.Log);
        }

        GC.KeepAlive(held);
    }
}

using Shoal.Tests.Dashboard;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Metrics;

/// <summary>
/// <see cref="LocalClusterOptions.WorkerHttpPort"/> and <c>shoal local --http-port</c>: every worker of a
/// local cluster (in-process or a process) serves its own meter at its own /metrics, and the scheduler
/// knows where (<c>http_address</c> in the dashboard's worker list).
/// </summary>
public sealed class LocalClusterWorkerMetricsTests
{
    [Fact]
    public async Task In_process_workers_each_serve_their_own_metrics_at_the_address_the_scheduler_lists()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Workers = 2, ThreadsPerWorker = 1, DashboardAddress = "127.0.0.1:0", WorkerHttpPort = 0,
        }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var futures = client.Map(static (int x) => x * 2, Enumerable.Range(0, 40));
        (await client.GatherAsync(futures).WaitAsync(E2E.Timeout)).Sum().ShouldBe(1560);

        var finished = await ScrapeEachWorkerAsync(cluster.DashboardLink!, 2);
        // Each endpoint counts its own worker's tasks only: together, every task once.
        finished.Sum().ShouldBe(40);
        GC.KeepAlive(futures);
    }

    [Fact]
    public async Task Shoal_local_gives_each_worker_process_an_http_port()
    {
        await using var local = ShoalProcess.Start(["local", "--workers", "2", "--threads-per-worker", "1", "--port", "0", "--http-port", "0"]);
        var address = await local.WaitForSchedulerAddressAsync(E2E.Timeout);
        var dashboard = (await local.WaitForLineAsync(l => l.StartsWith("Dashboard at: ", StringComparison.Ordinal), E2E.Timeout))["Dashboard at: ".Length..].Trim();
        await using var client = await Client.ConnectAsync(address).WaitAsync(E2E.Timeout);
        await client.WaitForWorkersAsync(2).WaitAsync(E2E.Timeout);
        var futures = client.Map(static (int x) => x + 1, Enumerable.Range(0, 30));
        (await client.GatherAsync(futures).WaitAsync(E2E.Timeout)).Sum().ShouldBe(465);

        var finished = await ScrapeEachWorkerAsync(dashboard, 2);
        finished.Sum().ShouldBe(30, local.Output);
        GC.KeepAlive(futures);
    }

    /// <summary>
    /// Reads the scheduler's worker list, checks each worker has its own endpoint, and returns the tasks
    /// each endpoint counts finished (waiting until the sum stops changing is not needed: the counter is
    /// recorded before the worker reports the task, which is before the gather returned).
    /// </summary>
    private static async Task<double[]> ScrapeEachWorkerAsync(string dashboardLink, int workers)
    {
        using var dashboard = DashboardTestSupport.Http(dashboardLink);
        var list = await dashboard.GetJsonAsync("/api/v1/workers");
        list.GetArrayLength().ShouldBe(workers);
        var endpoints = list.EnumerateArray().Select(w => (Name: w.GetProperty("name").GetString()!, Http: w.GetProperty("http_address").GetString())).ToArray();
        endpoints.ShouldAllBe(e => e.Http != null && e.Http.StartsWith("http://127.0.0.1:"));
        endpoints.Select(e => e.Http).Distinct().Count().ShouldBe(workers);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var finished = new double[workers];
        for (var i = 0; i < workers; i++)
        {
            var text = await http.GetStringAsync(endpoints[i].Http + "/metrics");
            text.ShouldContain("shoal_worker_threads");
            finished[i] = TrafficMetricsTests.Value(text, "shoal_worker_tasks_finished", "outcome=\"success\"") ?? 0;
            (await http.GetStringAsync(endpoints[i].Http + "/health")).ShouldBe("ok\n");
        }

        return finished;
    }
}

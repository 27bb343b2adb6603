using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
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

        var directory = Directory.CreateTempSubdirectory("shoal-prometheus-");
        var port = FreePort();
        var config = Path.Combine(directory.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: shoal-scheduler
                metrics_path: /metrics
                static_configs:
                  - targets: ["{target.Authority}"]
            """);
        var info = new ProcessStartInfo("prometheus") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
            info.ArgumentList.Add(arg);
        using var prometheus = Process.Start(info)!;
        var log = prometheus.StandardError.ReadToEndAsync();
        try
        {
            var api = new Uri($"http://127.0.0.1:{port}/api/v1/query");
            (await E2E.PollAsync(() => QueryAsync(http, api, "shoal_scheduler_workers", 2), E2E.Timeout)).ShouldBeTrue("Prometheus reports 2 workers");
            (await E2E.PollAsync(() => QueryAsync(http, api, "sum(shoal_scheduler_tasks{state=\"memory\"})", 50), E2E.Timeout)).ShouldBeTrue("Prometheus reports 50 tasks in memory");
            (await E2E.PollAsync(() => QueryAsync(http, api, "sum(shoal_scheduler_task_duration_count)", 50), E2E.Timeout)).ShouldBeTrue("Prometheus counts 50 task durations");
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
            output.WriteLine(await log);
            directory.Delete(recursive: true);
        }

        GC.KeepAlive(held);
    }

    private static async Task<bool> QueryAsync(HttpClient http, Uri api, string query, double expected)
    {
        try
        {
            var json = await http.GetStringAsync(api + "?query=" + Uri.EscapeDataString(query));
            var result = JsonDocument.Parse(json).RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 1 && double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) == expected;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

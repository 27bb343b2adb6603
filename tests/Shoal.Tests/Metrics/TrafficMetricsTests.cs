using System.Globalization;
using System.Text.RegularExpressions;
using Shoal.Dashboard;
using Shoal.Scheduling;
using Shoal.Tests.Dashboard;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Metrics;

/// <summary>
/// Shoal's own metrics beyond Dask's set: frames and bytes per connection role (scheduler and
/// worker), code uploads and code served, over real TCP with a real <c>shoal worker</c> process;
/// checked by Debian's promtool and scraped by a real Prometheus.
/// </summary>
public sealed class TrafficMetricsTests
{
    [Fact]
    public async Task Frames_bytes_and_code_uploads_are_exported_by_role_and_outlive_the_connections()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = "tcp://127.0.0.1:0",
            Dashboard = new DashboardOptions { Address = "127.0.0.1:0" },
        });
        await using var worker = ShoalProcess.Start(["worker", scheduler.Address, "--nthreads", "1", "--name", "traffic-w", "--http-port", "0", "--no-nanny"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var metrics = new Uri(new Uri(scheduler.DashboardLink!), "/metrics");
        string text;

        await using (var client = await Client.ConnectAsync(scheduler.Address).WaitAsync(E2E.Timeout))
        {
            await client.WaitForWorkersAsync(1).WaitAsync(E2E.Timeout);
            var futures = client.Map(static (int x) => x + 1, Enumerable.Range(0, 20));
            (await client.GatherAsync(futures).WaitAsync(E2E.Timeout)).Sum().ShouldBe(210);

            text = await http.GetStringAsync(metrics);
            Value(text, "shoal_scheduler_connections", "role=\"client\"").ShouldBe(1, text);
            Value(text, "shoal_scheduler_connections", "role=\"worker\"").ShouldBe(1, text);
            foreach (var role in new[] { "client", "worker" })
            foreach (var direction in new[] { "sent", "received" })
            {
                Value(text, "shoal_scheduler_connection_frames", $"role=\"{role}\"", $"direction=\"{direction}\"").ShouldNotBeNull(text).ShouldBeGreaterThan(0);
                // A frame has a header: more bytes than frames.
                Value(text, "shoal_scheduler_connection_bytes", $"role=\"{role}\"", $"direction=\"{direction}\"").ShouldNotBeNull(text)
                    .ShouldBeGreaterThan(Value(text, "shoal_scheduler_connection_frames", $"role=\"{role}\"", $"direction=\"{direction}\"")!.Value);
            }

            // The client uploaded its code (at least the test assembly) to this fresh scheduler.
            var stored = Value(text, "shoal_scheduler_code_uploads", "outcome=\"stored\"").ShouldNotBeNull(text);
            stored.ShouldBeGreaterThanOrEqualTo(1);
            Value(text, "shoal_scheduler_code_uploads", "outcome=\"rejected\"").ShouldBe(0);
            Value(text, "shoal_scheduler_code_blobs").ShouldBe(stored);
            Value(text, "shoal_scheduler_code_upload_bytes", "outcome=\"stored\"").ShouldNotBeNull(text).ShouldBeGreaterThan(1000);
            // A worker asks the scheduler only for code its disk store (~/.shoal/code, shared by every run on this
            // machine) lacks: blobs served may be none, but then no bytes either.
            var served = Value(text, "shoal_scheduler_code_served").ShouldNotBeNull(text);
            var servedBytes = Value(text, "shoal_scheduler_code_served_bytes").ShouldNotBeNull(text);
            if (served == 0) servedBytes.ShouldBe(0);
            else servedBytes.ShouldBeGreaterThan(1000 * served);
            var (code, complaints) = await DashboardTestSupport.RunToolAsync("promtool", ["check", "metrics"], text);
            code.ShouldBe(0, complaints);

            // The worker's own endpoint: its connection to the scheduler, and the client's data connection it served.
            using var dashboard = DashboardTestSupport.Http(scheduler.DashboardLink!);
            var address = (await dashboard.GetJsonAsync("/api/v1/workers"))[0].GetProperty("http_address").GetString()!;
            var workerText = await http.GetStringAsync(address + "/metrics");
            Value(workerText, "shoal_worker_connections", "role=\"scheduler\"").ShouldBe(1, workerText);
            Value(workerText, "shoal_worker_connection_frames", "role=\"scheduler\"", "direction=\"received\"").ShouldNotBeNull(workerText).ShouldBeGreaterThan(0);
            Value(workerText, "shoal_worker_connection_bytes", "role=\"peer\"", "direction=\"sent\"").ShouldNotBeNull(workerText).ShouldBeGreaterThan(0);
            Value(workerText, "shoal_worker_journal_recovered").ShouldBe(0);
            (code, complaints) = await DashboardTestSupport.RunToolAsync("promtool", ["check", "metrics"], workerText);
            code.ShouldBe(0, complaints);
            GC.KeepAlive(futures);
        }

        // The client is gone: no client connection open, and its traffic still counted (counters never fall).
        var clientBytes = Value(text, "shoal_scheduler_connection_bytes", "role=\"client\"", "direction=\"received\"")!.Value;
        (await E2E.PollAsync(async () =>
        {
            text = await http.GetStringAsync(metrics);
            return Value(text, "shoal_scheduler_connections", "role=\"client\"") == 0;
        }, E2E.Timeout)).ShouldBeTrue(text);
        Value(text, "shoal_scheduler_connection_bytes", "role=\"client\"", "direction=\"received\"").ShouldNotBeNull(text).ShouldBeGreaterThanOrEqualTo(clientBytes);

        // A real Prometheus reads the same: bytes both ways for both roles, and the code blobs stored.
        var storedBlobs = Value(text, "shoal_scheduler_code_uploads", "outcome=\"stored\"")!.Value;
        await using var prometheus = await PrometheusServer.StartAsync(metrics.Authority);
        (await E2E.PollAsync(() => prometheus.QueryAsync(http, "count({__name__=~\"shoal_scheduler_connection_bytes(_total)?\"} > 0)", 4), E2E.Timeout))
            .ShouldBeTrue("Prometheus sees bytes sent and received for clients and workers");
        (await E2E.PollAsync(() => prometheus.QueryAsync(http, "sum({__name__=~\"shoal_scheduler_code_uploads(_total)?\",outcome=\"stored\"})", storedBlobs), E2E.Timeout))
            .ShouldBeTrue($"Prometheus counts {storedBlobs} code blobs stored");
    }

    /// <summary>The value of the series <paramref name="name"/> (or <c>NAME_total</c>) that has every label given, null when none.</summary>
    internal static double? Value(string text, string name, params string[] labels)
    {
        foreach (Match match in Regex.Matches(text, $@"^{Regex.Escape(name)}(?:_total)?(?:\{{([^}}]*)\}})? (\S+)$", RegexOptions.Multiline))
        {
            var have = match.Groups[1].Value;
            if (labels.All(have.Contains)) return double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        }

        return null;
    }
}

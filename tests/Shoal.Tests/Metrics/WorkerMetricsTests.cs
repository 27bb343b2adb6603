using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Shoal.Dashboard;
using Shoal.Execution;
using Shoal.Metrics;
using Shoal.Scheduling;
using Shoal.Tests.Dashboard;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Metrics;

/// <summary>
/// A worker's own metrics: served as Prometheus text at its <c>--http-port</c> (found through the
/// scheduler's /workers API), accepted by Debian's promtool, and pushed over OTLP to a receiver
/// started here, from a real <c>shoal worker</c> process under its nanny (which passes the flags on).
/// </summary>
public sealed class WorkerMetricsTests
{
    [Fact]
    public async Task A_worker_process_serves_its_metrics_at_its_http_port_and_pushes_them_over_otlp()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = "tcp://127.0.0.1:0",
            Dashboard = new DashboardOptions { Address = "127.0.0.1:0" },
        });
        await using var worker = ShoalProcess.Start(["worker", scheduler.Address, "--nthreads", "1", "--name", "metrics-w", "--http-port", "0",
            "--otlp-endpoint", receiver.Endpoint, "--otlp-interval", "200ms"]);
        await using var client = await Client.ConnectAsync(scheduler.Address).WaitAsync(E2E.Timeout);
        await client.WaitForWorkersAsync(1).WaitAsync(E2E.Timeout);
        var futures = client.Map(static (int x) => x + 1, Enumerable.Range(0, 20));
        (await client.GatherAsync(futures).WaitAsync(E2E.Timeout)).Sum().ShouldBe(210);

        // The scheduler knows where the worker's endpoint is (its registration says).
        using var dashboard = DashboardTestSupport.Http(scheduler.DashboardLink!);
        var workers = await dashboard.GetJsonAsync("/api/v1/workers");
        var address = workers[0].GetProperty("http_address").GetString()!;
        address.ShouldStartWith("http://127.0.0.1:", Case.Sensitive, worker.Output);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        (await http.GetStringAsync(address + "/health")).ShouldBe("ok\n");
        string text = "";
        (await E2E.PollAsync(async () =>
        {
            text = await http.GetStringAsync(address + "/metrics");
            // Gauges follow the heartbeat: wait for one after the tasks, which shows the 20 results held.
            return Counter(text, "shoal_worker_tasks_finished", "outcome=\"success\"") == 20
                && Counter(text, "shoal_worker_tasks", "state=\"memory\"") == 20;
        }, E2E.Timeout)).ShouldBeTrue(text);
        text.ShouldContain("shoal_worker_task_duration");
        text.ShouldContain("shoal_worker_memory");
        text.ShouldContain("shoal_worker_event_loop_lag");
        var (code, complaints) = await DashboardTestSupport.RunToolAsync("promtool", ["check", "metrics"], text);
        code.ShouldBe(0, complaints);

        // A real Prometheus scrapes the worker beside the scheduler.
        await using (var prometheus = await PrometheusServer.StartAsync(new Uri(scheduler.DashboardLink!).Authority, new Uri(address).Authority))
        {
            (await E2E.PollAsync(() => prometheus.QueryAsync(http, "sum({__name__=~\"shoal_worker_tasks_finished(_total)?\",outcome=\"success\"})", 20), E2E.Timeout))
                .ShouldBeTrue("Prometheus counts the worker's 20 tasks; targets: " + await http.GetStringAsync(new Uri(prometheus.Api, "/api/v1/targets")));
            (await E2E.PollAsync(() => prometheus.QueryAsync(http, "shoal_scheduler_workers", 1), E2E.Timeout)).ShouldBeTrue("and the scheduler's 1 worker");
        }

        // The same meter over OTLP, under the worker's scope attribute.
        (await E2E.PollAsync(() => receiver.Value("Shoal.Worker", ("worker", "metrics-w"), "tasks.finished", ("outcome", "success")) == 20, E2E.Timeout))
            .ShouldBeTrue($"{receiver.Requests} OTLP requests; {worker.Output}");
        receiver.Value("Shoal.Worker", ("worker", "metrics-w"), "task.duration").ShouldBe(20);
        receiver.Resource["service.name"].ShouldBe("shoal-worker");
        GC.KeepAlive(futures);
    }

    [Fact]
    public async Task Off_loopback_the_endpoint_answers_401_without_the_clusters_bearer_token()
    {
        var security = SecurityOptions.TemporaryToken();
        using var instruments = new WorkerInstruments("closed-w");
        await using var endpoint = await MetricsEndpoint.StartAsync(instruments.Meter, "127.0.0.1", 0, security, Protocol.Messages.Role.Worker, null,
            CancellationToken.None, requireCredentials: true);
        using var http = new HttpClient { BaseAddress = new Uri(endpoint.BaseAddress) };
        (await http.GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await http.GetStringAsync("/health")).ShouldBe("ok\n");
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        forged.Headers.Authorization = new("Bearer", "shoal-dash.viewer.forged");
        (await http.SendAsync(forged)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // The token Prometheus scrapes the scheduler with opens the worker too (both derive from the cluster's key).
        using var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        scrape.Headers.Authorization = new("Bearer", DashboardCredentials.For(security).BearerToken(DashboardRole.Viewer));
        using var response = await http.SendAsync(scrape);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldContain("shoal_worker_threads");
    }

    [Fact]
    public async Task Each_workers_endpoint_shows_its_own_meter_only()
    {
        using var first = new WorkerInstruments("iso-a");
        using var second = new WorkerInstruments("iso-b");
        await using var endpoint = await MetricsEndpoint.StartAsync(first.Meter, "127.0.0.1", 0, null, Protocol.Messages.Role.Worker, null, CancellationToken.None);
        first.TaskFinished("inc-1", 0.01, succeeded: true);
        second.TaskFinished("inc-2", 0.01, succeeded: true);
        second.TaskFinished("inc-3", 0.01, succeeded: false);
        using var http = new HttpClient();
        var text = await http.GetStringAsync(endpoint.BaseAddress + "/metrics");
        Counter(text, "shoal_worker_tasks_finished", "outcome=\"success\"").ShouldBe(1);
        Counter(text, "shoal_worker_tasks_finished", "outcome=\"failure\"").ShouldBeNull();
    }

    [Fact]
    public async Task The_client_meter_counts_what_a_client_submits_and_holds()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1, DashboardAddress = null }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        long submitted = 0;
        int keys = -1;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, client.Instruments.Meter)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "tasks.submitted") Interlocked.Add(ref submitted, value);
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "keys") keys = value;
        });
        listener.Start();
        client.Instruments.Meter.Name.ShouldBe("Shoal.Client");
        client.Instruments.Meter.Tags!.ShouldContain(new KeyValuePair<string, object?>("client", client.Options.Name));

        var futures = client.Map(static (int x) => x * 2, Enumerable.Range(0, 10));
        await client.GatherAsync(futures).WaitAsync(E2E.Timeout);
        Interlocked.Read(ref submitted).ShouldBe(10);
        listener.RecordObservableInstruments();
        keys.ShouldBe(10);
        GC.KeepAlive(futures);
    }

    /// <summary>The value of the series of <paramref name="name"/> (any suffix such as _total) whose labels include <paramref name="label"/>; null when none.</summary>
    private static double? Counter(string text, string name, string label)
    {
        var match = Regex.Match(text, $@"^{Regex.Escape(name)}(?:_total)?\{{[^}}]*{Regex.Escape(label)}[^}}]*\}} (\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }
}

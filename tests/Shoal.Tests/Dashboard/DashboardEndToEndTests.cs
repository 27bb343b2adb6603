using System.Net;
using System.Text;
using System.Text.Json;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Dashboard;

/// <summary>The dashboard of an in-process cluster, over real HTTP on loopback.</summary>
public sealed class DashboardEndToEndTests
{
    private static Task<LocalCluster> StartAsync(int workers = 2) =>
        LocalCluster.StartAsync(new LocalClusterOptions { Workers = workers, ThreadsPerWorker = 2, DashboardAddress = "127.0.0.1:0" }).WaitAsync(E2E.Timeout);

    [Fact]
    public async Task The_cluster_and_its_clients_offer_the_link_and_every_page_is_served()
    {
        await using var cluster = await StartAsync();
        cluster.DashboardLink.ShouldNotBeNull();
        cluster.DashboardLink.ShouldStartWith("http://127.0.0.1:");
        cluster.DashboardLink.ShouldEndWith("/status");
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        client.DashboardLink.ShouldBe(cluster.DashboardLink);

        using var http = DashboardTestSupport.Http(cluster.DashboardLink);
        foreach (var page in new[] { "/status", "/workers", "/tasks", "/graph", "/info" })
        {
            using var response = await http.GetAsync(page);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, page);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
            (await response.Content.ReadAsStringAsync()).ShouldContain("/static/dashboard.js");
        }

        foreach (var asset in new[] { "/static/dashboard.js", "/static/dashboard.css" })
        {
            (await http.GetAsync(asset)).StatusCode.ShouldBe(HttpStatusCode.OK, asset);
        }

        (await http.GetStringAsync("/health")).ShouldBe("ok\n");
        (await http.GetAsync("/static/nothing.js")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var info = await http.GetJsonAsync("/api/v1/info");
        info.GetProperty("scheduler_address").GetString().ShouldBe(cluster.SchedulerAddress);
        info.GetProperty("open_on_loopback").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task The_api_reports_workers_task_groups_and_the_graph_as_the_scheduler_has_them()
    {
        await using var cluster = await StartAsync();
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        using var http = DashboardTestSupport.Http(cluster.DashboardLink!);
        var squares = client.Map(static (int x) => x * x, Enumerable.Range(0, 200));
        var total = client.Submit(static (int[] v) => v.Sum(), squares);
        (await total.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(Enumerable.Range(0, 200).Sum(x => x * x));

        var workers = await http.GetJsonAsync("/api/v1/workers");
        workers.GetArrayLength().ShouldBe(2);
        workers.EnumerateArray().Select(w => w.GetProperty("name").GetString()).ShouldBe(cluster.WorkerNames, ignoreOrder: true);
        workers[0].GetProperty("threads").GetInt32().ShouldBe(2);

        var tasks = await http.GetJsonAsync("/api/v1/tasks");
        tasks.GetProperty("states").GetProperty("memory").GetInt32().ShouldBe(201);
        tasks.GetProperty("groups").EnumerateArray().Sum(g => g.GetProperty("states").GetProperty("memory").GetInt32()).ShouldBe(201);
        // The feed drains the ring on its timer: wait for it to have seen all 201 tasks, each in its group's histogram.
        (await E2E.PollAsync(async () =>
        {
            var groups = (await http.GetJsonAsync("/api/v1/tasks")).GetProperty("groups").EnumerateArray().ToArray();
            return groups.Sum(g => g.GetProperty("done").GetInt64()) == 201
                && groups.Sum(g => g.GetProperty("histogram").EnumerateArray().Sum(b => b.GetInt64())) == 201;
        }, E2E.Timeout)).ShouldBeTrue();

        var graph = await http.GetJsonAsync("/api/v1/graph");
        graph.GetProperty("complete").GetBoolean().ShouldBeTrue();
        var nodes = graph.GetProperty("tasks").EnumerateArray().ToArray();
        nodes.Length.ShouldBe(201);
        nodes.Count(n => n.GetProperty("dependencies").GetArrayLength() == 200).ShouldBe(1);
        nodes.ShouldAllBe(n => n.GetProperty("state").GetString() == "memory");

        var status = await http.GetJsonAsync("/api/v1/status");
        status.GetProperty("tasks_done").GetInt64().ShouldBeGreaterThanOrEqualTo(201);
        status.GetProperty("workers").GetArrayLength().ShouldBe(2);
        // Held to the end: a finalised future releases its key, and the counts above include them. Both: in Release
        // `total` is not used after its result, so without this the collector may finalise it mid-test and the
        // scheduler forgets the reduce task (200 nodes in the graph instead of 201).
        GC.KeepAlive(squares);
        GC.KeepAlive(total);
    }

    [Fact]
    public async Task The_event_stream_sends_aggregated_updates_that_follow_the_work()
    {
        await using var cluster = await StartAsync();
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        using var http = DashboardTestSupport.Http(cluster.DashboardLink!);
        using var response = await http.GetAsync("/api/v1/stream", HttpCompletionOption.ResponseHeadersRead);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = await NextUpdateAsync(reader);
        first.GetProperty("workers").GetArrayLength().ShouldBe(2);
        var futures = client.Map(static (int x) => x + 1, Enumerable.Range(0, 500));
        await client.GatherAsync(futures).WaitAsync(E2E.Timeout);
        long bars = 0;
        JsonElement update;
        do
        {
            update = await NextUpdateAsync(reader);
            bars += update.GetProperty("stream").GetArrayLength();
        }
        while (update.GetProperty("tasks_done").GetInt64() < 500 || bars < 500);

        update.GetProperty("groups").EnumerateArray().Sum(g => g.GetProperty("states").GetProperty("memory").GetInt32()).ShouldBe(500);
        update.GetProperty("stream").EnumerateArray().ShouldAllBe(b => b.GetProperty("stop").GetDouble() >= b.GetProperty("start").GetDouble());
        GC.KeepAlive(futures);
    }

    private static async Task<JsonElement> NextUpdateAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(E2E.Timeout);
        while (true)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("the event stream ended");
            if (line.StartsWith("data: ", StringComparison.Ordinal)) return JsonDocument.Parse(line[6..]).RootElement.Clone();
        }
    }

    [Fact]
    public async Task Retire_workers_is_a_post_that_goes_through_the_schedulers_retirement()
    {
        await using var cluster = await StartAsync(workers: 3);
        using var http = DashboardTestSupport.Http(cluster.DashboardLink!);
        (await http.GetAsync("/api/v1/retire_workers")).StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        (await http.PostAsync("/api/v1/retire_workers", new StringContent("workers=x", Encoding.UTF8, "application/x-www-form-urlencoded")))
            .StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        (await http.PostAsync("/api/v1/retire_workers", new StringContent("{not json", Encoding.UTF8, "application/json")))
            .StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await http.PostAsync("/api/v1/retire_workers", new StringContent("{}", Encoding.UTF8, "application/json")))
            .StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var victim = cluster.WorkerNames[0];
        using var response = await http.PostAsync("/api/v1/retire_workers", new StringContent($"{{\"workers\": [\"{victim}\"]}}", Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("retired").EnumerateArray().Select(e => e.GetString()).ShouldBe([victim]);
        var workers = await http.GetJsonAsync("/api/v1/workers");
        workers.EnumerateArray().Select(w => w.GetProperty("name").GetString()).ShouldNotContain(victim);
        (await http.GetJsonAsync("/api/v1/adaptive_target")).GetProperty("workers").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task A_taken_port_is_an_error_unless_it_is_the_default_one()
    {
        await using var first = await StartAsync();
        var port = new Uri(first.DashboardLink!).Port;
        var taken = await E2E.CatchAsync(() => LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, DashboardAddress = $"127.0.0.1:{port}" }));
        taken.ShouldBeAssignableTo<IOException>();
        await using var none = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, DashboardAddress = null }).WaitAsync(E2E.Timeout);
        none.DashboardLink.ShouldBeNull();
        await using var client = await Client.ConnectAsync(none).WaitAsync(E2E.Timeout);
        client.DashboardLink.ShouldBeNull();
    }
}

using System.Text.Json;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Dashboard;

/// <summary>
/// Transfers between workers and spills to disk are marked in the task stream: the dashboard's
/// bars (kind "transfer" / "spill") and a performance report's transfers and spills.
/// </summary>
public sealed class TaskStreamMarksTests
{
    [Fact]
    public async Task A_dependency_fetched_from_a_peer_and_results_spilled_show_as_marks()
    {
        var directory = Directory.CreateTempSubdirectory("shoal-marks-");
        try
        {
            await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
            {
                Workers = 2, ThreadsPerWorker = 1, DashboardAddress = "127.0.0.1:0", MemoryLimitPerWorker = 4 << 20, SpillDirectory = directory.FullName,
            }).WaitAsync(E2E.Timeout);
            await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
            var names = (await client.GetClusterInfoAsync()).Workers.Select(w => w.Name).Order().ToArray();
            var path = Path.Combine(directory.FullName, "report.html");
            using var http = DashboardTestSupport.Http(cluster.DashboardLink!);
            await using (client.PerformanceReport(path))
            {
                // Made on the first worker, used on the second: fetched from its peer.
                var made = client.Submit(static () => new byte[200_000], new SubmitOptions { Workers = [names[0]] });
                var used = client.Submit(static (byte[] b) => b.Length, made, new SubmitOptions { Workers = [names[1]] });
                (await used.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(200_000);
                // Past the spill target (60 % of 4 MiB) on the first worker: results go to disk.
                var big = Enumerable.Range(0, 6).Select(i => client.Submit(static (int i) => new byte[1 << 20], i, new SubmitOptions { Workers = [names[0]] })).ToArray();
                await Task.WhenAll(big.Select(f => f.ResultAsync())).WaitAsync(E2E.Timeout);

                // The marks come with the workers' next heartbeats.
                var kinds = new HashSet<string>();
                (await E2E.PollAsync(async () =>
                {
                    var bars = (await http.GetJsonAsync("/api/v1/task_stream")).GetProperty("bars");
                    foreach (var bar in bars.EnumerateArray()) kinds.Add(bar.GetProperty("kind").GetString()!);
                    return kinds.Contains("transfer") && kinds.Contains("spill");
                }, E2E.Timeout)).ShouldBeTrue(string.Join(",", kinds));
                GC.KeepAlive(big);
            }

            var html = await File.ReadAllTextAsync(path);
            var start = html.IndexOf("<script id=\"report-data\" type=\"application/json\">", StringComparison.Ordinal);
            start = html.IndexOf('>', start) + 1;
            var data = JsonDocument.Parse(html[start..html.IndexOf("</script>", start, StringComparison.Ordinal)]).RootElement;
            var transfer = data.GetProperty("transfers").EnumerateArray().ShouldHaveSingleItem();
            transfer[4].GetInt64().ShouldBeGreaterThanOrEqualTo(200_000);
            transfer[3].GetDouble().ShouldBeGreaterThanOrEqualTo(transfer[2].GetDouble());
            data.GetProperty("spills").GetArrayLength().ShouldBeGreaterThan(0);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}

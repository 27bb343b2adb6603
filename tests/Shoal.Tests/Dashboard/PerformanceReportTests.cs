using Microsoft.Playwright;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Dashboard;

/// <summary>
/// <c>await using (client.PerformanceReport(path))</c> writes one self-contained HTML file of the
/// work done meanwhile, which Debian's chromium opens from disk without errors: summary, task
/// stream, time per group, memory over time.
/// </summary>
public sealed class PerformanceReportTests
{
    [Fact]
    public async Task The_report_of_a_block_of_work_is_one_html_file_that_chromium_opens_without_errors()
    {
        var directory = Directory.CreateTempSubdirectory("shoal-report-");
        try
        {
            await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2, ThreadsPerWorker = 2, DashboardAddress = null }).WaitAsync(E2E.Timeout);
            await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
            var before = await client.GatherAsync(client.Map(static (int x) => -x, Enumerable.Range(100, 5))).WaitAsync(E2E.Timeout);
            var path = Path.Combine(directory.FullName, "report.html");
            var report = client.PerformanceReport(path);
            await using (report)
            {
                var squares = Enumerable.Range(0, 30).Select(i => client.Submit(static (int x) => x * x, i, new SubmitOptions { Key = $"square-{i}" })).ToArray();
                var halves = client.Map(static (int x) => x / 2.0, Enumerable.Range(0, 10));
                var failing = client.Submit(static () => (int)Math.Sqrt(-1) is var r && r == 0 ? throw new InvalidOperationException("no") : r, new SubmitOptions { Key = "broken-1" });
                await client.GatherAsync(squares).WaitAsync(E2E.Timeout);
                await client.GatherAsync(halves).WaitAsync(E2E.Timeout);
                await Should.ThrowAsync<TaskException>(() => failing.ResultAsync().WaitAsync(E2E.Timeout));
            }

            report.Path.ShouldBe(path);
            var html = await File.ReadAllTextAsync(path);
            html.ShouldNotContain("/*SHOAL_REPORT_DATA*/");
            html.ShouldNotContain("http://");
            html.ShouldNotContain("https://");
            before.Length.ShouldBe(5);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await BrowserDashboardTests.LaunchAsync(playwright);
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1300, Height = 1000 } });
            var errors = new List<string>();
            page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
            page.PageError += (_, error) => errors.Add(error);
            await page.GotoAsync(new Uri(path).AbsoluteUri);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserDashboardTests.Artifact("performance-report.png"), FullPage = true });
            errors.ShouldBeEmpty();

            // Three groups recorded (the work before the report is not in it), the failure counted.
            var groups = await page.EvalOnSelectorAllAsync<string[]>("#groups tbody tr", "rows => rows.map(r => r.cells[0].textContent + ':' + r.cells[1].textContent + ':' + r.cells[2].textContent)");
            groups.Order().ShouldBe(["broken:1:1", "lambda:10:0", "square:30:0"]);
            var summary = await page.InnerTextAsync("#summary");
            summary.ShouldContain("tasks\t41");
            summary.ShouldContain("failed\t1");
            summary.ShouldContain("workers\t2 (4 threads)");
            // The task stream has bars drawn: pixels that are neither white nor the background.
            var coloured = await page.EvaluateAsync<int>("""
                () => { const c = document.getElementById('stream'); const d = c.getContext('2d').getImageData(110, 0, c.width - 120, c.height - 20).data;
                        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && !(d[i] > 240 && d[i + 1] > 240 && d[i + 2] > 240)) n++; return n; }
                """);
            coloured.ShouldBeGreaterThan(0);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_report_into_a_missing_directory_is_refused_at_once_and_a_report_disposed_twice_writes_once()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1, DashboardAddress = null }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var missing = Path.Combine(Path.GetTempPath(), "shoal-no-such-dir-" + Guid.NewGuid().ToString("N"), "r.html");
        Should.Throw<DirectoryNotFoundException>(() => client.PerformanceReport(missing)).Message.ShouldContain("does not exist");
        Should.Throw<ArgumentException>(() => client.PerformanceReport(" "));

        var path = Path.Combine(Path.GetTempPath(), "shoal-report-" + Guid.NewGuid().ToString("N") + ".html");
        try
        {
            var report = client.PerformanceReport(path);
            (await client.Submit(static () => 5)).ShouldBe(5);
            await report.DisposeAsync();
            var written = File.GetLastWriteTimeUtc(path);
            await report.DisposeAsync();
            File.GetLastWriteTimeUtc(path).ShouldBe(written);
            (await File.ReadAllTextAsync(path)).ShouldContain("\"tasks\":[[0,");
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using Microsoft.Playwright;
using Shoal.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Shoal.Tests.Dashboard;

/// <summary>
/// The dashboard in Debian's chromium, driven by Playwright (its driver ships in the package; its
/// own browser download is never used): /status during a long computation, /workers.
/// Screenshots go to artifacts/ beside the test assembly.
/// </summary>
public sealed class BrowserDashboardTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    internal static async Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });

    internal static string Artifact(string name)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name);
    }

    [Fact]
    public async Task Status_shows_the_task_stream_and_progress_moving_during_a_long_computation_and_workers_lists_every_worker()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 3, ThreadsPerWorker = 2, DashboardAddress = "127.0.0.1:0" })
            .WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        page.PageError += (_, error) => errors.Add(error);

        // Tasks that wait on I/O (a timer), so the browser keeps a core on this small machine.
        var slow = client.Map(static async (int x) => { await Task.Delay(TimeSpan.FromMilliseconds(60)); return x; }, Enumerable.Range(0, 400));
        await page.GotoAsync(cluster.DashboardLink!);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#memory .row').length === 3", null, new() { Timeout = 60_000 });
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#progress .row').length >= 1", null, new() { Timeout = 60_000 });
        var firstProgress = await page.InnerTextAsync("#progress .row .value");
        var firstStream = await page.EvaluateAsync<string>("() => document.getElementById('task-stream').toDataURL()");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("status-early.png"), FullPage = true });

        // Progress and the task stream change while the computation runs.
        await page.WaitForFunctionAsync("first => document.querySelector('#progress .row .value').textContent !== first", firstProgress, new() { Timeout = 60_000 });
        await page.WaitForFunctionAsync("first => document.getElementById('task-stream').toDataURL() !== first", firstStream, new() { Timeout = 60_000 });
        (await page.InnerTextAsync("#progress .row .value")).ShouldNotBe(firstProgress);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("status.png"), FullPage = true });
        output.WriteLine($"progress went from '{firstProgress}' to '{await page.InnerTextAsync("#progress .row .value")}'");

        await client.GatherAsync(slow).WaitAsync(E2E.Timeout);
        await page.WaitForFunctionAsync("() => document.querySelector('#progress .row .value').textContent.startsWith('400 / 400')", null, new() { Timeout = 60_000 });

        await page.GotoAsync(new Uri(new Uri(cluster.DashboardLink!), "/workers").ToString());
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#workers tbody tr').length === 3", null, new() { Timeout = 60_000 });
        var names = await page.EvalOnSelectorAllAsync<string[]>("#workers tbody tr", "rows => rows.map(r => r.dataset.worker)");
        names.ShouldBe(cluster.WorkerNames, ignoreOrder: true);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("workers.png"), FullPage = true });

        foreach (var other in new[] { "/tasks", "/graph", "/info" })
        {
            await page.GotoAsync(new Uri(new Uri(cluster.DashboardLink!), other).ToString());
            await page.WaitForFunctionAsync("() => document.getElementById('live').textContent.startsWith('updated')", null, new() { Timeout = 60_000 });
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact(other.Trim('/') + ".png"), FullPage = true });
        }

        errors.ShouldBeEmpty();
        GC.KeepAlive(slow);
    }
}

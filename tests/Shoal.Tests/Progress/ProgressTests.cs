using System.Diagnostics;
using Shoal.Deploy;
using Shoal.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Shoal.Tests.Progress;

/// <summary>
/// Client.ProgressAsync: live bars in a real terminal (examples/MapReduce --progress in a tmux pane,
/// read back with capture-pane), plain rate-limited lines without one, and reports for IProgress.
/// </summary>
public sealed class ProgressTests(ITestOutputHelper output)
{
    [Fact]
    public async Task In_a_real_terminal_the_bars_reach_100_percent()
    {
        var socket = "shoal-progress-" + Guid.NewGuid().ToString("N")[..8];
        var example = ExampleDll("MapReduce");
        try
        {
            // A detached session of our own server (its own socket), kept after the command exits to read its screen.
            (await TmuxAsync(socket, "-f", "/dev/null", "new-session", "-d", "-s", "p", "-x", "120", "-y", "20")).Code.ShouldBe(0);
            (await TmuxAsync(socket, "set-option", "-t", "p", "remain-on-exit", "on")).Code.ShouldBe(0);
            (await TmuxAsync(socket, "respawn-pane", "-k", "-t", "p", $"TERM=xterm-256color {WorkerCommandLocator.DotnetHost()} {example} --progress --n 3000")).Code.ShouldBe(0);
            string state = "";
            (await E2E.PollAsync(async () => (state = (await TmuxAsync(socket, "display-message", "-p", "-t", "p", "#{pane_dead} #{pane_dead_status}")).Output.Trim()) == "1 0"
                || state.StartsWith("1 ", StringComparison.Ordinal), TimeSpan.FromSeconds(120))).ShouldBeTrue(state);
            var screen = (await TmuxAsync(socket, "capture-pane", "-p", "-t", "p")).Output;
            output.WriteLine(screen);
            state.ShouldBe("1 0", screen);
            var lines = screen.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
            // A bar per task group (the map's and the sum's are both lambdas: one group), at 100 %, then the example's result.
            var bars = lines.Where(l => l.Contains('━')).ToList();
            bars.ShouldHaveSingleItem(screen).ShouldContain("lambda");
            bars.ShouldAllBe(b => b.Contains(" 100% "), screen);
            lines.ShouldContain("8997000");
        }
        finally
        {
            await TmuxAsync(socket, "kill-server");
        }
    }

    [Fact]
    public async Task Without_a_terminal_it_prints_plain_lines_at_most_once_per_interval()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 2, DashboardAddress = null }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var gate = new TaskCompletionSource();
        var slow = client.Submit(static (Task g) => { g.Wait(); return 1; }, gate.Task);
        var quick = client.Map(static (int x) => x + 1, Enumerable.Range(0, 20));
        await client.GatherAsync(quick).WaitAsync(E2E.Timeout);
        var log = new StringWriter();
        var progress = client.ProgressAsync([.. quick, slow], new ProgressOptions { Output = log, LineInterval = TimeSpan.FromHours(1) });
        // The first line comes at once; none follows within the interval while one task is left.
        (await E2E.PollAsync(() => log.ToString().Length > 0, E2E.Timeout)).ShouldBeTrue();
        progress.IsCompleted.ShouldBeFalse();
        gate.SetResult();
        await progress.WaitAsync(E2E.Timeout);
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(2, log.ToString());
        lines[0].ShouldStartWith("progress: 20/21 (95 %)");
        lines[1].ShouldStartWith("progress: 21/21 (100 %)");
        lines[1].ShouldNotContain("erred");
        lines[1].ShouldEndWith("; lambda 21/21");
    }

    [Fact]
    public async Task An_IProgress_gets_each_change_and_the_final_report_counts_failures()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 2, DashboardAddress = null }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var futures = client.Map(static (int x) => x == 3 ? throw new InvalidOperationException("three") : x, Enumerable.Range(0, 10));
        var reports = new List<ProgressReport>();
        var last = await client.ProgressAsync(futures, new SynchronousProgress(reports.Add)).WaitAsync(E2E.Timeout);
        last.IsComplete.ShouldBeTrue();
        last.Total.ShouldBe(10);
        last.Erred.ShouldBe(1);
        last.Groups.ShouldHaveSingleItem().Done.ShouldBe(10);
        reports[^1].ShouldBe(last);
        reports.Select(r => r.Done).ShouldBeInOrder();
    }

    [Fact]
    public async Task Bad_input_is_refused_before_anything_is_drawn()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1, DashboardAddress = null }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var log = new StringWriter();
        Should.Throw<ArgumentNullException>(() => client.ProgressAsync(null!, new ProgressOptions { Output = log }));
        Should.Throw<ArgumentException>(() => client.ProgressAsync([client.Submit(static () => 1), null!], new ProgressOptions { Output = log })).Message.ShouldContain("null");
        Should.Throw<ArgumentNullException>(() => client.ProgressAsync([], (IProgress<ProgressReport>)null!));
        log.ToString().ShouldBeEmpty();
        // Nothing to watch: done at once, one line.
        await client.ProgressAsync([], new ProgressOptions { Output = log });
        log.ToString().ShouldStartWith("progress: 0/0 (100 %)");
    }

    private sealed class SynchronousProgress(Action<ProgressReport> report) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => report(value);
    }

    private static async Task<(int Code, string Output)> TmuxAsync(string socket, params string[] args)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-L");
        info.ArgumentList.Add(socket);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(E2E.Timeout);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>An example's build output, in the configuration the tests were built in.</summary>
    private static string ExampleDll(string name)
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory); // tests/Shoal.Tests/bin/<configuration>/<framework>/
        var repository = bin.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Join(repository, "examples", name, "bin", bin.Parent.Name, bin.Name, name + ".dll");
        File.Exists(dll).ShouldBeTrue($"{dll} is built with the tests");
        return dll;
    }
}

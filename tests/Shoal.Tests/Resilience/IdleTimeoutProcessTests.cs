using System.Diagnostics;
using Xunit.Abstractions;
using Shoal.Deploy;

namespace Shoal.Tests.Resilience;

/// <summary>A real `shoal scheduler` process; its client finds the token file by address, so it runs with the other real-process tests.</summary>
[Collection(Shoal.Tests.EndToEnd.RealProcessesCollection.Name)]
public class IdleTimeoutProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Shoal_scheduler_with_an_idle_timeout_exits_by_itself_after_its_last_client_leaves()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Shoal.Cli.dll");
        var info = new ProcessStartInfo(WorkerCommandLocator.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in new[] { cli, "scheduler", "--port", "0", "--idle-timeout", "2s" }) info.ArgumentList.Add(arg);
        info.Environment[WorkerProcess.ParentWatchVariable] = "1";
        using var scheduler = Process.Start(info)!;
        try
        {
            var first = await scheduler.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            first.ShouldNotBeNull().ShouldStartWith("Scheduler at: ");
            var address = first["Scheduler at: ".Length..];
            var rest = scheduler.StandardOutput.ReadToEndAsync();

            var client = await Client.ConnectAsync(address);
            (await client.GetClusterInfoAsync()).Workers.ShouldBeEmpty();
            var clock = Stopwatch.StartNew();
            await client.DisposeAsync();

            await scheduler.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"scheduler exited {clock.Elapsed.TotalSeconds:0.0} s after its last client left (idle timeout 2 s)");
            scheduler.ExitCode.ShouldBe(0);
            clock.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(1.9));
            (await rest).ShouldContain("idle");
        }
        finally
        {
            if (!scheduler.HasExited) scheduler.Kill(entireProcessTree: true);
        }
    }
}

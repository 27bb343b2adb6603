using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Shoal.Flows.Tests;

/// <summary>What <c>shoal flows serve --assembly</c> finds in this assembly.</summary>
public sealed class EverySecondDeployments : IFlowDeployments
{
    public sealed record Empty;

    private static readonly Flow<Empty, int> Tick = Flow.Create("tick", static async (Empty _) =>
    {
        await Task.Yield();
        return 1;
    });

    public void Configure(FlowServer server) => server.Add("every-second", Tick, new IntervalSchedule(TimeSpan.FromSeconds(1)), new Empty());
}

/// <summary><c>shoal flows serve</c> in a child process, stopped and restarted: every scheduled start runs once.</summary>
[Collection(ProcessesCollection.Name)]
public class ServeTests
{
    [Fact]
    public async Task A_restarted_server_runs_each_scheduled_start_once()
    {
        await using var temp = await TempStore.CreateAsync();
        await ServeUntilAsync(temp, runs: 2);
        await ServeUntilAsync(temp, runs: 4);

        var runs = await temp.Store.ListFlowRunsAsync(100);
        runs.ShouldAllBe(r => r.FlowName == "tick" && (r.State == RunState.Completed || r.State == RunState.Cancelled));
        await using var connection = new SqliteConnection($"Data Source={temp.DbPath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), MIN(instant), MAX(instant) FROM schedule_claims WHERE deployment = 'every-second'";
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        var (claims, first, last) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        // One run per claimed start; the starts are consecutive seconds: none twice, none skipped across the restart.
        claims.ShouldBe(runs.Count);
        ((last - first) / TimeSpan.TicksPerSecond + 1).ShouldBe(claims);
    }

    private static async Task ServeUntilAsync(TempStore temp, int runs)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in new[] { Path.Join(AppContext.BaseDirectory, "Shoal.Cli.dll"), "flows", "serve", "--assembly", typeof(ServeTests).Assembly.Location, "--db", temp.DbPath })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            first.ShouldNotBeNull();
            first.ShouldStartWith("serving every-second");
            using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while ((await temp.Store.ListFlowRunsAsync(100)).Count(r => r.State == RunState.Completed) < runs)
                await poll.WaitForNextTickAsync(timeout.Token);

            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            await process.WaitForExitAsync(timeout.Token);
            process.ExitCode.ShouldBe(0, await stderr);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}

using System.Diagnostics;

namespace Shoal.Flows.Tests;

/// <summary>Worker processes: a killed worker is a retry, a hard timeout replaces the worker, a run is cancelled from another process.</summary>
[Collection(ProcessesCollection.Name)]
public class ProcessTests
{
    public sealed record Marker
    {
        public required string Path { get; init; }
    }

    /// <summary>Kills its own worker process the first time (the marker file says whether it ran before).</summary>
    private static readonly FlowTask<string, int> KillsItsWorkerOnce = FlowTask.Create("KillsItsWorkerOnce", static (string path) =>
    {
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Process.GetCurrentProcess().Kill();
        }

        return Environment.ProcessId;
    });

    [Fact]
    public async Task A_killed_worker_process_is_a_retry_and_the_flow_completes()
    {
        await using var temp = await TempStore.CreateAsync();
        var marker = Path.Join(temp.Directory, "ran-once");
        var flow = Flow.Create("survives", async (Marker m) =>
        {
            var pid = await KillsItsWorkerOnce.Submit(m.Path);
            return await Seeds.GetSum.Submit(Seeds.TimesTwo.Map([1, 2, 3])) + (pid > 0 ? 0 : 1000);
        });
        await using var runner = temp.Runner(FlowExecutors.LocalCluster(new LocalClusterOptions { Processes = true, Nanny = true, Workers = 1, ThreadsPerWorker = 1 }));

        var result = await runner.RunAsync(flow, new Marker { Path = marker });

        result.State.ShouldBe(RunState.Completed, result.Error);
        result.Result.ShouldBe(12);
        var killed = int.Parse(await File.ReadAllTextAsync(marker), System.Globalization.CultureInfo.InvariantCulture);
        Should.Throw<ArgumentException>(() => Process.GetProcessById(killed)); // that process is gone; the task ran again elsewhere
        (await temp.Store.TaskRunsAsync(result.Id)).ShouldAllBe(t => t.State == RunState.Completed);
    }

    private static readonly FlowTask<string, string> IgnoresItsToken = FlowTask.Create("IgnoresItsToken", static (string k) =>
    {
        new ManualResetEventSlim().Wait(); // never set: ignores the timeout's cancellation
        return k;
    }, new FlowTaskOptions { Timeout = TimeSpan.FromSeconds(1), TimeoutGrace = TimeSpan.FromMilliseconds(500) });

    private static readonly FlowTask<string, string> StopsAtItsToken = FlowTask.Create("StopsAtItsToken", static async (string k, CancellationToken ct) =>
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        return k;
    }, new FlowTaskOptions { Timeout = TimeSpan.FromMilliseconds(500) });

    [Fact]
    public async Task A_hard_timeout_replaces_the_worker_process_and_a_cooperative_one_does_not_and_the_states_say_which()
    {
        await using var temp = await TempStore.CreateAsync();
        var flow = Flow.Create("timeouts", async (Marker m) =>
        {
            var hard = IgnoresItsToken.Submit("hard");
            var soft = StopsAtItsToken.Submit("soft");
            await Task.WhenAll(hard.Settled, soft.Settled);
            // The cluster carries on with a new worker process.
            return await Seeds.GetSum.Submit(Seeds.TimesTwo.Map([1, 2, 3]));
        });
        await using var runner = temp.Runner(FlowExecutors.LocalCluster(new LocalClusterOptions { Processes = true, Nanny = true, Workers = 1, ThreadsPerWorker = 2 }));

        var result = await runner.RunAsync(flow, new Marker { Path = "" });

        result.State.ShouldBe(RunState.Completed, result.Error);
        result.Result.ShouldBe(12);
        var tasks = await temp.Store.TaskRunsAsync(result.Id);
        var hard = tasks.Single(t => t.TaskName == "IgnoresItsToken");
        hard.State.ShouldBe(RunState.TimedOut);
        // The cluster's workers run under nannies: the scheduler restarts the one holding the abandoned thread.
        hard.Cause!.ShouldStartWith("hard timeout: worker ");
        hard.Cause.ShouldEndWith(" was restarted by its nanny to be replaced");
        var pid = int.Parse(System.Text.RegularExpressions.Regex.Match(hard.Cause, @"process (\d+) on ").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        pid.ShouldNotBe(Environment.ProcessId);
        Should.Throw<ArgumentException>(() => Process.GetProcessById(pid));
        var soft = tasks.Single(t => t.TaskName == "StopsAtItsToken");
        soft.State.ShouldBe(RunState.TimedOut);
        soft.Cause!.ShouldStartWith("cooperative timeout");
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> Released = new();

    private static readonly FlowTask<string, string> WaitsForRelease = FlowTask.Create("WaitsForRelease", static async (string k, CancellationToken ct) =>
    {
        await Released[k].Task;
        return k;
    });

    [Fact]
    public async Task A_run_is_cancelled_by_shoal_flows_cancel_in_another_process()
    {
        await using var temp = await TempStore.CreateAsync();
        var key = Guid.NewGuid().ToString("N");
        Released[key] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flow = Flow.Create("cancellable", async (Marker m) =>
        {
            var blocked = WaitsForRelease.Submit(m.Path);
            var after = Seeds.TimesTwo.Submit(5, blocked);
            while (blocked.State != RunState.Running) await Task.Yield();
            running.SetResult(Flow.RunId);
            await blocked;
            return await after;
        });
        await using var runner = temp.Runner(FlowExecutors.InProcess(), new FlowRunnerOptions { CancellationPollInterval = TimeSpan.FromMilliseconds(50) });
        try
        {
            var run = runner.RunAsync(flow, new Marker { Path = key });
            var id = await running.Task.WaitAsync(TimeSpan.FromSeconds(60));

            var (exit, stdout, stderr) = await CliProcess.RunAsync(["flows", "cancel", id.ToString()[..8], "--db", temp.DbPath]);
            exit.ShouldBe(0, stderr);
            stdout.ShouldContain($"cancellation requested for flow run cancellable-");

            var result = await run.WaitAsync(TimeSpan.FromSeconds(60));
            result.State.ShouldBe(RunState.Cancelled);
            result.Error.ShouldBe("cancelled on request (shoal flows cancel)");
            var tasks = await temp.Store.TaskRunsAsync(result.Id);
            tasks.ShouldAllBe(t => t.State == RunState.Cancelled);
            (await temp.Store.FindFlowRunAsync(id.ToString()))!.State.ShouldBe(RunState.Cancelled);

            var again = await CliProcess.RunAsync(["flows", "cancel", id.ToString(), "--db", temp.DbPath]);
            again.Exit.ShouldBe(1);
            again.Stderr.ShouldContain("already ended (Cancelled)");
        }
        finally
        {
            Released[key].TrySetResult();
        }
    }
}

/// <summary>Runs <c>shoal</c> (Shoal.Cli.dll beside the tests) as a child process.</summary>
internal static class CliProcess
{
    public static Task<(int Exit, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        RunDllAsync(Path.Join(AppContext.BaseDirectory, "Shoal.Cli.dll"), args, environment);

    public static async Task<(int Exit, string Stdout, string Stderr)> RunDllAsync(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        info.ArgumentList.Add(dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

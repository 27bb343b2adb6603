using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Shoal.Flows.Tests;

/// <summary>
/// A hard timeout on a worker the flow did not start: a <c>shoal scheduler</c> process and a
/// <c>shoal worker</c> process under its nanny, reached by address. Nothing in the flow's process
/// knows the worker's process; the scheduler restarts it (Client.RestartWorkersAsync) as it would
/// on another host.
/// </summary>
[Collection(ProcessesCollection.Name)]
public class RemoteWorkerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public sealed record Nothing
    {
        public int Unused { get; init; }
    }

    private static readonly FlowTask<string, string> IgnoresItsToken = FlowTask.Create("IgnoresItsToken", static (string k) =>
    {
        new ManualResetEventSlim().Wait(); // never set: ignores the timeout's cancellation
        return k;
    }, new FlowTaskOptions { Timeout = TimeSpan.FromMilliseconds(500), TimeoutGrace = TimeSpan.FromMilliseconds(500) });

    private static readonly FlowTask<int, int> ProcessId = FlowTask.Create("ProcessId", static (int _) => Environment.ProcessId);

    [Fact]
    public async Task A_hard_timeout_on_a_worker_the_flow_did_not_start_restarts_it_through_its_nanny_and_the_next_task_runs_on_the_new_process()
    {
        await using var scheduler = await CliHost.StartAsync(["scheduler", "--port", "0", "--no-dashboard"], @"Scheduler at: (\S+)");
        var address = scheduler.Match.Groups[1].Value;
        // Under its nanny (the default); the flow's first task waits for it to register.
        await using var worker = await CliHost.StartAsync(["worker", address, "--nthreads", "1", "--name", "far-worker"], null);
        await using var temp = await TempStore.CreateAsync();
        var flow = Flow.Create("far-timeout", async (Nothing _) =>
        {
            var before = await ProcessId.Submit(0);
            var hard = IgnoresItsToken.Submit("hard");
            await hard.Settled;
            var after = await ProcessId.Submit(1);
            return $"{before} {after}";
        });
        await using var runner = temp.Runner(FlowExecutors.Address(address));

        var result = await runner.RunAsync(flow, new Nothing()).WaitAsync(Patience * 2);

        result.State.ShouldBe(RunState.Completed, result.Error);
        var pids = result.Result!.Split(' ').Select(int.Parse).ToArray();
        var hard = (await temp.Store.TaskRunsAsync(result.Id)).Single(t => t.TaskName == "IgnoresItsToken");
        hard.State.ShouldBe(RunState.TimedOut);
        hard.Cause!.ShouldStartWith("hard timeout: worker far-worker (process ");
        hard.Cause.ShouldEndWith(" was restarted by its nanny to be replaced");
        var abandoned = int.Parse(Regex.Match(hard.Cause, @"process (\d+) on ").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        abandoned.ShouldBe(pids[0]); // the process that ran the first task held the abandoned thread
        abandoned.ShouldNotBe(Environment.ProcessId);
        pids[1].ShouldNotBe(abandoned); // the next task ran on the new process
        Should.Throw<ArgumentException>(() => Process.GetProcessById(abandoned)); // the old one is gone
    }
}

/// <summary>A <c>shoal</c> command run as its own process until disposed (then killed with its children).</summary>
internal sealed class CliHost : IAsyncDisposable
{
    private readonly Process _process;

    private CliHost(Process process, Match? match)
    {
        _process = process;
        _match = match;
    }

    /// <summary>What matched the pattern in the command's output.</summary>
    public Match Match => _match ?? throw new InvalidOperationException("started without a pattern");

    private readonly Match? _match;

    /// <summary>Starts <c>shoal ARGS</c> and returns once a line of its output matches <paramref name="pattern"/> (at once when null).</summary>
    public static async Task<CliHost> StartAsync(IEnumerable<string> args, string? pattern)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add(Path.Join(AppContext.BaseDirectory, "Shoal.Cli.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var seen = new System.Text.StringBuilder();
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        var regex = pattern is null ? null : new Regex(pattern);
        void OnLine(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (seen) seen.AppendLine(e.Data);
            if (regex?.Match(e.Data) is { Success: true } m) found.TrySetResult(m);
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (regex is null) return new CliHost(process, null);
        try
        {
            var exited = process.WaitForExitAsync();
            if (await Task.WhenAny(found.Task, exited).WaitAsync(TimeSpan.FromSeconds(60)) != found.Task)
                throw new InvalidOperationException($"shoal {string.Join(' ', args)} exited ({process.ExitCode}) before printing /{pattern}/:\n{seen}");
            return new CliHost(process, await found.Task);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Stops it as Ctrl-C would (SIGTERM: a scheduler deletes its token file, a nanny stops its worker); kills what is left after 30 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!)
                await term.WaitForExitAsync();
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }
}

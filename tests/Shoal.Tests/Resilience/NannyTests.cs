using System.Diagnostics;
using Shoal.Deploy;
using Shoal.Scheduling;
using Xunit.Abstractions;

namespace Shoal.Tests.Resilience;

[Collection(Shoal.Tests.EndToEnd.RealProcessesCollection.Name)]
public class NannyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_task_that_exhausts_memory_again_and_again_errs_with_the_cause_and_the_restarted_worker_runs_the_next_graph()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = "tcp://127.0.0.1:0",
            Config = new SchedulerConfig { AllowedFailures = 2 },
        });
        var name = $"nanny-{Guid.NewGuid().ToString("N")[..6]}";
        using var nanny = StartNannyProcess(scheduler.Address, name, "--memory-limit", "400MB");
        try
        {
            await WorkerRegistersAsync(scheduler, nanny);
            await using var client = await Client.ConnectAsync(scheduler.Address);

            var hog = client.Submit(static () =>
            {
                var blocks = new List<byte[]>();
                for (var i = 0; i < 400; i++) // 4 GB at most: the nanny stops it long before
                {
                    var block = new byte[10_000_000];
                    block.AsSpan().Fill(1);
                    blocks.Add(block);
                }

                return blocks.Count;
            });

            var error = await Should.ThrowAsync<TaskException>(() => hog.ResultAsync().WaitAsync(TimeSpan.FromSeconds(120)));
            output.WriteLine(error.Message);
            error.RemoteTypeName.ShouldBe("Shoal.WorkerKilledException");
            error.RemoteMessage.ShouldContain("3 worker processes");
            error.RemoteMessage.ShouldContain(name + " (restarted), pid "); // one worker, restarted: not three workers of one name
            error.RemoteMessage.ShouldContain("terminate threshold");
            error.RemoteMessage.ShouldContain(name);

            // The same worker, restarted once more, runs the next graph.
            var squares = client.Map(static (int x) => x * x, Enumerable.Range(0, 100));
            (await Task.WhenAll(squares.Select(f => f.ResultAsync())).WaitAsync(TimeSpan.FromSeconds(60))).ShouldBe(Enumerable.Range(0, 100).Select(x => x * x));
            scheduler.WorkerProcesses.ShouldHaveSingleItem().Worker.ShouldBe(name);
        }
        finally
        {
            await StopAsync(nanny);
        }
    }

    [Fact]
    public async Task A_worker_killed_by_a_signal_is_restarted_under_its_name_and_the_cause_is_reported()
    {
        // A generous grace for the nanny's report: a loaded machine may be slow to deliver it.
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", NannyReportGrace = TimeSpan.FromSeconds(10) });
        var name = $"nanny-{Guid.NewGuid().ToString("N")[..6]}";
        using var nanny = StartNannyProcess(scheduler.Address, name);
        try
        {
            await WorkerRegistersAsync(scheduler, nanny);
            var first = scheduler.WorkerProcesses.ShouldHaveSingleItem();
            first.Pid.ShouldNotBe(nanny.Id, "the worker runs in a child of the nanny");

            // The spare: a second worker process, started ahead and waiting for its nanny's word.
            await Eventually.HoldsAsync(() => ChildrenOf(nanny.Id).Except([first.Pid]).Any(), TimeSpan.FromSeconds(60), "the nanny starts a spare");
            var spares = ChildrenOf(nanny.Id).Except([first.Pid]).ToArray();

            var clock = Stopwatch.StartNew();
            Process.GetProcessById(first.Pid).Kill();
            await Eventually.HoldsAsync(() => scheduler.WorkerProcesses is [var w] && w.Pid != first.Pid, TimeSpan.FromSeconds(60), "the restarted worker registers");
            output.WriteLine($"restarted worker registered {clock.Elapsed.TotalMilliseconds:0} ms after the kill");
            scheduler.WorkerProcesses.ShouldHaveSingleItem().Pid.ShouldBeOneOf(spares, "the spare started before the kill took over");

            scheduler.WorkerProcesses.ShouldHaveSingleItem().Worker.ShouldBe(name);
            var departure = scheduler.Departures.ShouldHaveSingleItem();
            departure.Worker.ShouldBe(name);
            departure.Cause.ShouldContain("signal 9");
        }
        finally
        {
            await StopAsync(nanny);
        }
    }

    /// <summary>The live child processes of <paramref name="pid"/> (Linux: every thread's children list).</summary>
    internal static int[] ChildrenOf(int pid)
    {
        var children = new List<int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                children.AddRange(File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        return [.. children];
    }

    /// <summary>Starts <c>shoal worker</c> (with its nanny, the default) as a child of the test.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Process, System.Collections.Concurrent.ConcurrentQueue<string>> Outputs = [];

    private static Process StartNannyProcess(string scheduler, string name, params string[] more)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Shoal.Cli.dll");
        var info = new ProcessStartInfo(WorkerCommandLocator.DotnetHost())
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[] { cli, "worker", scheduler, "--nthreads", "1", "--name", name, "--death-timeout", "20s" }.Concat(more)) info.ArgumentList.Add(arg);
        info.Environment[WorkerProcess.ParentWatchVariable] = "1";
        var process = Process.Start(info)!;
        // The nanny's and its worker's lines, kept to say why when the worker does not register.
        var lines = Outputs.GetOrCreateValue(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lines.Enqueue(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lines.Enqueue(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WorkerRegistersAsync(SchedulerServer scheduler, Process nanny)
    {
        try
        {
            await Eventually.HoldsAsync(() => scheduler.WorkerCount == 1, TimeSpan.FromSeconds(60), "the worker registers");
        }
        catch (TimeoutException e)
        {
            var lines = Outputs.TryGetValue(nanny, out var kept) ? string.Join("\n", kept) : "";
            throw new TimeoutException($"{e.Message}; nanny exited: {nanny.HasExited}; its output:\n{lines}", e);
        }
    }

    /// <summary>Closes the nanny's stdin (it stops its worker and exits); kills what is left after a while.</summary>
    private static async Task StopAsync(Process nanny)
    {
        if (nanny.HasExited) return;
        nanny.StandardInput.Close();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await nanny.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            nanny.Kill(entireProcessTree: true);
            throw new TimeoutException("the nanny did not exit when its stdin closed");
        }
    }
}

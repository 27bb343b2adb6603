using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// Where a worker process's start-up goes, phase by phase (issue 10: exec to registered ≤ 150 ms).
/// Usage: worker-start --cli PATH/Shoal.Cli.dll [--reps 5] [--nanny]
/// Starts <c>shoal scheduler --port 0</c>, then per repetition one fresh <c>shoal worker ADDR
/// --nthreads 1</c> (with <c>--no-nanny</c> unless <c>--nanny</c>) with <c>SHOAL_STARTUP_TRACE=1</c>:
/// each process marks its phases (<c>Platform/StartupTrace</c>: wall clock and its own CPU time), and
/// the worker is timed from this process's exec to its "registered with ADDR" log line. Phases of a
/// nanny's worker process are suffixed <c>#2</c> (its spare, started a second later, does not count).
/// Prints medians per phase: milliseconds from exec, and the marking process's CPU milliseconds so far.
/// </summary>
public sealed class WorkerStartBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "worker-start";

    /// <inheritdoc />
    public string Description => "a fresh shoal worker from exec to registered, per phase (wall and CPU), with or without its nanny";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var cli = a.Value("cli") ?? Path.Combine(AppContext.BaseDirectory, "Shoal.Cli.dll");
        var reps = a.Int("reps", 5);
        var nanny = a.Has("nanny");
        using var scheduler = Start(cli, ["scheduler", "--port", "0", "--no-dashboard"], trace: false);
        _ = scheduler.StandardError.ReadToEndAsync(CancellationToken.None); // drained: a full pipe would stall it
        try
        {
            var address = await ReadAddressAsync(scheduler.StandardOutput, cancellationToken);
            var wall = new Dictionary<string, List<double>>(StringComparer.Ordinal);
            var cpu = new Dictionary<string, List<double>>(StringComparer.Ordinal);
            for (var rep = 0; rep < reps; rep++)
            {
                var marks = await OneWorkerAsync(cli, address, nanny, cancellationToken);
                foreach (var (phase, ms, cpuMs) in marks)
                {
                    (wall.TryGetValue(phase, out var w) ? w : wall[phase] = []).Add(ms);
                    if (cpuMs >= 0) (cpu.TryGetValue(phase, out var c) ? c : cpu[phase] = []).Add(cpuMs);
                }

                Console.Error.WriteLine($"worker-start rep {rep}: " + string.Join(", ", marks.Select(m => $"{m.Phase}={m.Ms:0}")));
            }

            var phases = wall.OrderBy(p => BenchStats.Median(p.Value)).Select(p => new Dictionary<string, object>
            {
                ["phase"] = p.Key,
                ["ms_from_exec_median"] = Math.Round(BenchStats.Median(p.Value), 1),
                ["cpu_ms_median"] = cpu.TryGetValue(p.Key, out var c) ? Math.Round(BenchStats.Median(c), 1) : -1,
            }).ToArray();
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["bench"] = "worker-start",
                ["shoal"] = BenchStats.ShoalVersion,
                ["nanny"] = nanny,
                ["reps"] = reps,
                ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "",
                ["phases"] = phases,
            }));
            return 0;
        }
        finally
        {
            scheduler.Kill(entireProcessTree: true);
            await scheduler.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task<List<(string Phase, double Ms, double CpuMs)>> OneWorkerAsync(string cli, string address, bool nanny, CancellationToken cancellationToken)
    {
        List<string> args = ["worker", address, "--nthreads", "1"];
        if (!nanny) args.Add("--no-nanny");
        var execAt = DateTime.UtcNow;
        using var worker = Start(cli, args, trace: true);
        var marks = new List<(string, double, double)>();
        var processes = new Dictionary<int, int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task ReadAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                lock (marks)
                {
                    if (done.Task.IsCompleted) continue;
                    if (line.Contains("registered with " + address, StringComparison.Ordinal))
                    {
                        marks.Add(("registered-line", (DateTime.UtcNow - execAt).TotalMilliseconds, -1));
                        done.TrySetResult();
                    }
                    else if (line.StartsWith("shoal-startup ", StringComparison.Ordinal) && line.Split(' ') is [_, var phase, var micros, var pid, var cpuMicros])
                    {
                        var n = processes.TryGetValue(int.Parse(pid, CultureInfo.InvariantCulture), out var i) ? i : processes[int.Parse(pid, CultureInfo.InvariantCulture)] = processes.Count + 1;
                        var at = DateTime.UnixEpoch.AddTicks(long.Parse(micros, CultureInfo.InvariantCulture) * 10);
                        marks.Add((n == 1 ? phase : $"{phase}#{n}", (at - execAt).TotalMilliseconds, long.Parse(cpuMicros, CultureInfo.InvariantCulture) / 1000.0));
                    }
                }
            }
        }

        var readers = Task.WhenAll(ReadAsync(worker.StandardOutput), ReadAsync(worker.StandardError));
        try
        {
            await done.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        finally
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync(CancellationToken.None);
            try { await readers; } catch (Exception e) when (e is IOException or OperationCanceledException) { }
        }

        lock (marks) return marks.Where(m => !m.Item1.EndsWith("#3", StringComparison.Ordinal)).ToList(); // #3: a nanny's spare
    }

    private static Process Start(string cli, IEnumerable<string> args, bool trace)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(cli);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        if (trace) info.Environment["SHOAL_STARTUP_TRACE"] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {cli}");
    }

    private static async Task<string> ReadAddressAsync(StreamReader stdout, CancellationToken cancellationToken)
    {
        while (await stdout.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("Scheduler at: ", StringComparison.Ordinal))
            {
                _ = stdout.ReadToEndAsync(CancellationToken.None); // keep its pipe drained
                return line["Scheduler at: ".Length..].Trim();
            }
        }

        throw new InvalidOperationException("the scheduler ended before printing its address");
    }
}

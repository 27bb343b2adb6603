using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Shoal.Bench;

/// <summary>
/// What the dashboard costs the throughput benchmark (issue 11: within 2 % with the dashboard on and
/// nobody watching, within 10 % with /status open in a browser). Each round runs
/// <c>throughput --only map --n N --reps R --dashboard MODE</c> once per mode, each in a fresh process
/// (its own scheduler and worker processes, so no mode inherits another's JIT, heap or connections),
/// the order of the modes rotating from round to round so that a change in the machine's load falls
/// on every mode alike. Per mode it pools every repetition of every round and reports the medians of
/// seconds, tasks/s and CPU seconds (the benchmark process, which holds the client, the scheduler and
/// the dashboard; and the worker processes), each mode's ratio to <c>off</c>, and the load average
/// before each run.
/// Usage: dashboard-overhead [--modes off on sse watched] [--rounds 3] [--n 100000] [--reps 3] [--workers 2]
/// <list type="bullet">
/// <item>off: no dashboard; on: served on 127.0.0.1:0, nobody watching;</item>
/// <item>sse: an HTTP client in the benchmark process reads /api/v1/stream (a script or a page's feed);</item>
/// <item>watched: Debian's chromium, headless, keeps /status open (the heaviest page: task stream,
/// progress bars, worker charts redrawn on every update); its own CPU is not in the figures.</item>
/// </list>
/// </summary>
public sealed class DashboardOverheadBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "dashboard-overhead";

    /// <inheritdoc />
    public string Description => "throughput (map of N no-ops) with the dashboard off, on, read as a stream, open in chromium: fresh processes, interleaved rounds, medians, CPU";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var modes = a.List("modes", "off", "on", "sse", "watched").ToArray();
        foreach (var mode in modes)
            if (mode is not ("off" or "on" or "sse" or "watched")) throw new ArgumentException($"--modes {mode}: expected off, on, sse or watched");
        var rounds = a.Int("rounds", 3);
        var n = a.Int("n", 100_000);
        var reps = a.Int("reps", 3);
        var workers = a.Int("workers", 2);

        var samples = modes.ToDictionary(m => m, _ => new List<(double Seconds, double CpuHere, double CpuWorkers)>());
        var runs = new List<Dictionary<string, object>>();
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < modes.Length; i++)
            {
                var mode = modes[(i + round) % modes.Length];
                var load = LoadAverage();
                Console.Error.WriteLine($"dashboard-overhead: round {round + 1}/{rounds}, {mode}, load {load}");
                var result = await RunChildAsync(["--only", "map", "--n", Str(n), "--reps", Str(reps), "--workers", Str(workers), "--dashboard", mode], cancellationToken);
                var map = result["results"]?[$"map_{n}"] ?? throw new InvalidOperationException($"{mode}: no map_{n} in the child's result (errors: {result["errors"]?.ToJsonString()})");
                var s = Doubles(map["s_all"]);
                var here = Doubles(map["cpu_s_client_scheduler_all"]);
                var there = Doubles(map["cpu_s_workers_all"]);
                for (var r = 0; r < s.Length; r++) samples[mode].Add((s[r], here[r], there[r]));
                runs.Add(new Dictionary<string, object>
                {
                    ["round"] = round + 1, ["mode"] = mode, ["load_1min"] = load, ["s"] = s, ["cpu_s_client_scheduler"] = here, ["cpu_s_workers"] = there,
                    ["stream_updates_read"] = result["stream_updates_read"]?.GetValue<long>() ?? 0,
                });
                Console.Error.WriteLine($"  {mode}: s {string.Join(' ', s.Select(x => x.ToString("0.000", CultureInfo.InvariantCulture)))}; CPU s client+scheduler {string.Join(' ', here)}, workers {string.Join(' ', there)}");
            }
        }

        var summary = new Dictionary<string, object>();
        var baseline = samples.TryGetValue("off", out var off) && off.Count > 0 ? Medians(off) : default;
        foreach (var mode in modes)
        {
            if (samples[mode].Count == 0) continue;
            var m = Medians(samples[mode]);
            var row = new Dictionary<string, object>
            {
                ["samples"] = samples[mode].Count,
                ["s_median"] = Math.Round(m.Seconds, 4),
                ["tasks_per_s_median"] = Math.Round(n / m.Seconds),
                ["cpu_s_client_scheduler_median"] = Math.Round(m.CpuHere, 4),
                ["cpu_s_workers_median"] = Math.Round(m.CpuWorkers, 4),
            };
            if (baseline.Seconds > 0)
            {
                // > 1: slower (or more CPU) than without the dashboard.
                row["s_ratio_to_off"] = Math.Round(m.Seconds / baseline.Seconds, 4);
                row["cpu_client_scheduler_ratio_to_off"] = Math.Round(m.CpuHere / baseline.CpuHere, 4);
            }
            summary[mode] = row;
            Console.Error.WriteLine($"{mode,-8} {samples[mode].Count} samples: {m.Seconds:0.000} s median ({n / m.Seconds:N0} tasks/s), CPU s client+scheduler {m.CpuHere:0.000}, workers {m.CpuWorkers:0.000}"
                                    + (baseline.Seconds > 0 ? $"; x{m.Seconds / baseline.Seconds:0.000} the time, x{m.CpuHere / baseline.CpuHere:0.000} the client+scheduler CPU of off" : ""));
        }

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "dashboard-overhead",
            ["shoal"] = BenchStats.ShoalVersion,
            ["tasks"] = n,
            ["workers"] = workers,
            ["reps_per_process"] = reps,
            ["rounds"] = rounds,
            ["summary"] = summary,
            ["runs"] = runs,
        }));
        return 0;
    }

    private static (double Seconds, double CpuHere, double CpuWorkers) Medians(List<(double Seconds, double CpuHere, double CpuWorkers)> xs) =>
        (BenchStats.Median(xs.Select(x => x.Seconds).ToArray()), BenchStats.Median(xs.Select(x => x.CpuHere).ToArray()), BenchStats.Median(xs.Select(x => x.CpuWorkers).ToArray()));

    private static double[] Doubles(JsonNode? node) =>
        node?.AsArray().Select(x => x!.GetValue<double>()).ToArray() ?? throw new InvalidOperationException("the child's result lacks per-repetition figures");

    private static string Str(int x) => x.ToString(CultureInfo.InvariantCulture);

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    /// <summary>Runs <c>throughput</c> in a fresh process of this benchmark assembly; returns its JSON line.</summary>
    private static async Task<JsonNode> RunChildAsync(string[] childArgs, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Shoal.Bench.dll"));
        info.ArgumentList.Add("throughput");
        foreach (var arg in childArgs) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the throughput child");
        try
        {
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0) throw new InvalidOperationException($"throughput {string.Join(' ', childArgs)} exited with {process.ExitCode}");
            var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(l => l.StartsWith('{'));
            return JsonNode.Parse(line) ?? throw new InvalidOperationException("the throughput child printed an empty JSON line");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}

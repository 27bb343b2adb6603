using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// Start-up cost of a <see cref="LocalCluster"/>, every repetition in fresh child processes (so
/// the JIT is included, as a user sees it): the Shoal side of ../shared/dask-baseline/startup.py.
/// Usage: startup [--workers 2] [--threads 1] [--reps 5] [--no-dashboard] (the in-process cluster without its dashboard)
/// Per repetition, one child process measures the in-process cluster (scheduler and worker
/// threads in the process, inproc transport): <c>inprocess_s</c> = first
/// <c>LocalCluster.StartAsync()</c> + <c>Client.ConnectAsync</c> in the process (JIT included),
/// <c>inprocess_warm_s</c> = the same again in the same process, <c>inprocess_close_s</c> =
/// disposing client and cluster. Another child measures worker processes over TCP, first thing
/// in the process: <c>cluster_s</c> = StartAsync with N worker processes + connect + all workers
/// seen by the client, <c>close_s</c> = shutdown, <c>from_exec_s</c> = parent starts the child
/// process -> client ready, <c>process_s</c> = the child's whole life.
/// </summary>
public sealed class StartupBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "startup";

    /// <inheritdoc />
    public string Description => "LocalCluster ready time in a fresh process: in-process (first and warm) and with worker processes, plus shutdown (like startup.py)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var workers = a.Int("workers", 2);
        var threads = a.Int("threads", 1);
        var reps = a.Int("reps", 5);
        switch (a.Value("child"))
        {
            case "inprocess": return await InProcessChildAsync(a.Has("no-dashboard"), cancellationToken);
            case "processes": return await ProcessesChildAsync(workers, threads, cancellationToken);
        }

        var rows = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        void Add(string key, double value)
        {
            if (!rows.TryGetValue(key, out var list)) rows[key] = list = [];
            list.Add(value);
        }

        for (var rep = 0; rep < reps; rep++)
        {
            var (inproc, _, _) = await RunChildAsync(["--child", "inprocess", .. (a.Has("no-dashboard") ? ["--no-dashboard"] : Array.Empty<string>())], cancellationToken);
            foreach (var (k, v) in inproc) Add(k, v);
            var (procs, started, seconds) = await RunChildAsync(["--child", "processes", "--workers", Str(workers), "--threads", Str(threads)], cancellationToken);
            Add("from_exec_s", procs["ready_unix_s"] - started);
            Add("cluster_s", procs["cluster_s"]);
            Add("close_s", procs["close_s"]);
            Add("process_s", seconds);
            Console.Error.WriteLine($"rep {rep}: " + string.Join(", ", rows.Select(r => $"{r.Key}={r.Value[^1]:0.000}")));
        }

        var result = new Dictionary<string, object>
        {
            ["bench"] = "startup",
            ["shoal"] = BenchStats.ShoalVersion,
            ["workers"] = workers,
            ["threads"] = threads,
        };
        foreach (var (k, v) in rows) result[k] = BenchStats.Summary(v);
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static string Str(int x) => x.ToString(CultureInfo.InvariantCulture);

    private static double UnixSeconds() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1e3;

    /// <summary>Runs this benchmark as a child process; returns its JSON figures, its start time (Unix s) and its life in seconds.</summary>
    private static async Task<(Dictionary<string, double> Figures, double StartedUnix, double Seconds)> RunChildAsync(string[] childArgs, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Shoal.Bench.dll"));
        info.ArgumentList.Add("startup");
        foreach (var arg in childArgs) info.ArgumentList.Add(arg);
        var clock = Stopwatch.StartNew();
        var started = UnixSeconds();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the child");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0) throw new InvalidOperationException($"startup child {string.Join(' ', childArgs)} exited with {process.ExitCode}");
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(l => l.StartsWith('{'));
        return (JsonSerializer.Deserialize<Dictionary<string, double>>(line)!, started, seconds);
    }

    private static async Task<int> InProcessChildAsync(bool noDashboard, CancellationToken cancellationToken)
    {
        var figures = new Dictionary<string, double>();
        for (var round = 0; round < 4; round++)
        {
            var clock = Stopwatch.StartNew();
            var cluster = await LocalCluster.StartAsync(noDashboard ? new LocalClusterOptions { DashboardAddress = null } : null, cancellationToken);
            var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
            Shoal.Platform.StartupTrace.Mark("client-connected");
            var ready = clock.Elapsed.TotalSeconds;
            clock.Restart();
            await client.DisposeAsync();
            await cluster.DisposeAsync();
            var closed = clock.Elapsed.TotalSeconds;
            if (round == 0)
            {
                figures["inprocess_s"] = ready;
                figures["inprocess_close_s"] = closed;
            }
            else
            {
                // The warm figure: the best of three later starts in the same process.
                figures["inprocess_warm_s"] = Math.Min(figures.GetValueOrDefault("inprocess_warm_s", double.MaxValue), ready);
            }
        }

        Console.WriteLine(JsonSerializer.Serialize(figures));
        return 0;
    }

    private static async Task<int> ProcessesChildAsync(int workers, int threads, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = workers, ThreadsPerWorker = threads }, cancellationToken);
        var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);
        var seen = (await client.GetClusterInfoAsync(cancellationToken)).Workers.Count;
        if (seen != workers) throw new InvalidOperationException($"{seen} workers, expected {workers}");
        var ready = clock.Elapsed.TotalSeconds;
        var readyUnix = UnixSeconds();
        clock.Restart();
        await client.DisposeAsync();
        await cluster.DisposeAsync();
        var closed = clock.Elapsed.TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double> { ["cluster_s"] = ready, ["close_s"] = closed, ["ready_unix_s"] = readyUnix }));
        return 0;
    }
}

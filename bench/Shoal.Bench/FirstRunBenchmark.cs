using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// Map + gather of no-op tasks as a new user first meets it (issue 10): a <c>shoal scheduler</c>
/// process and <c>shoal worker --nthreads T</c> processes started as a user starts them, then a
/// fresh client process (a program the workers never saw) that connects, waits for the workers
/// and times its first <c>client.Map</c> + <c>GatherAsync</c>, then a second one in the same
/// process (the warm figure). Every repetition starts everything afresh, so every process's JIT
/// tier-up is in the first figure. Dask's side: bench/dask/firstrun.py (dask-scheduler,
/// dask-worker, a fresh client).
/// Usage: firstrun [--workers 2] [--threads 1] [--n 100000] [--reps 3] [--no-nanny] [--cli PATH/Shoal.Cli.dll] [--alloc] [--alloc-profile]
/// (--cli: the shoal CLI to run, by default the Shoal.Cli.dll beside this program; --alloc: the
/// scheduler's and the workers' bytes allocated per task in each run too, from their
/// <c>SHOAL_ALLOC_TRACE</c> lines, and the end-to-end sum with the client's; --alloc-profile: every
/// process's allocations by type, on stderr).
/// Environment variables set for this command (e.g. DOTNET_TieredCompilation) reach every process.
/// Figures per size: the fresh client's first and second run (tasks/s), its bytes allocated per
/// task (client only), the scheduler process's CPU and RSS growth per task over both runs, each
/// worker's time from exec to registered.
/// </summary>
public sealed class FirstRunBenchmark : IBenchmark
{
    private static readonly Func<long, long> Inc = static x => x + 1;

    /// <inheritdoc />
    public string Name => "firstrun";

    /// <inheritdoc />
    public string Description => "first map+gather of a fresh client on a fresh `shoal scheduler` + `shoal worker` processes (issue 10's topology)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        if (a.Value("child") == "client")
        {
            return await ClientChildAsync(a.Value("scheduler")!, a.Int("workers", 2), a.Int("n", 100_000), a.Has("alloc-profile"), cancellationToken);
        }

        var workers = a.Int("workers", 2);
        var threads = a.Int("threads", 1);
        var sizes = a.List("n", "100000").Select(BenchArgs.ParseCount).ToArray();
        var reps = a.Int("reps", 3);
        var nanny = !a.Has("no-nanny");
        var allocProfile = a.Has("alloc-profile");
        var alloc = allocProfile || a.Has("alloc");
        var cli = Path.GetFullPath(a.Value("cli") ?? Path.Combine(AppContext.BaseDirectory, "Shoal.Cli.dll"));

        var results = new Dictionary<string, object>();
        foreach (var n in sizes)
        {
            var rows = new Dictionary<string, List<double>>(StringComparer.Ordinal);
            void Add(string key, double value)
            {
                if (!rows.TryGetValue(key, out var list)) rows[key] = list = [];
                list.Add(value);
            }

            for (var rep = 0; rep < reps; rep++)
            {
                var figures = await OneRunAsync(cli, n, workers, threads, nanny, alloc, allocProfile, cancellationToken);
                foreach (var (k, v) in figures) Add(k, v);
                Console.Error.WriteLine($"firstrun n={n} rep {rep}: " + string.Join(", ", figures.Select(f => $"{f.Key}={f.Value:0.###}")));
            }

            var summary = new Dictionary<string, object>
            {
                ["tasks"] = n,
                ["s_median"] = Math.Round(BenchStats.Median(rows["first_s"]), 4),
                ["tasks_per_s_median"] = Math.Round(n / BenchStats.Median(rows["first_s"]), 1),
            };
            foreach (var (k, v) in rows) summary[k] = BenchStats.Summary(v);
            results[$"map_{n}"] = summary;
        }

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "throughput",
            ["shoal"] = BenchStats.ShoalVersion,
            ["workers"] = workers,
            ["threads"] = threads,
            ["reps"] = reps,
            ["nanny"] = nanny,
            ["results"] = results,
        }));
        return 0;
    }

    private static async Task<Dictionary<string, double>> OneRunAsync(string cli, int n, int workers, int threads, bool nanny, bool alloc, bool allocProfile, CancellationToken cancellationToken)
    {
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        var started = new List<Process>();
        var lines = new AllocationLines();
        string? trace = alloc ? (allocProfile ? "types" : "1") : null;
        try
        {
            var (address, registered) = await StartClusterAsync(cli, workers, threads, nanny, started, cancellationToken, lines, trace);
            var scheduler = started[0];
            for (var i = 0; i < registered.Length; i++) figures[$"worker{i}_registered_s"] = registered[i];

            scheduler.Refresh();
            var workersCpuBefore = started.Skip(1).Sum(w => TreeCpuSeconds(w.Id));
            var cpuBefore = scheduler.TotalProcessorTime;
            var rssBefore = scheduler.WorkingSet64;
            var client = Start(Path.Combine(AppContext.BaseDirectory, "Shoal.Bench.dll"), ["firstrun", "--child", "client", "--scheduler", address, "--workers", Str(workers), "--n", Str(n), .. (allocProfile ? ["--alloc-profile"] : Array.Empty<string>())], redirectOut: true);
            started.Add(client);
            var output = await client.StandardOutput.ReadToEndAsync(cancellationToken);
            await client.WaitForExitAsync(cancellationToken);
            if (client.ExitCode != 0) throw new InvalidOperationException($"the client process exited with {client.ExitCode}");
            var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(l => l.StartsWith('{'));
            foreach (var (k, v) in JsonSerializer.Deserialize<Dictionary<string, double>>(line)!) figures[k] = v;
            scheduler.Refresh();
            figures["scheduler_cpu_us_per_task"] = (scheduler.TotalProcessorTime - cpuBefore).TotalMicroseconds / (2.0 * n);
            figures["scheduler_rss_growth_b_per_task"] = (scheduler.WorkingSet64 - rssBefore) / (double)n;
            figures["workers_cpu_us_per_task"] = (started.Skip(1).Take(workers).Sum(w => TreeCpuSeconds(w.Id)) - workersCpuBefore) * 1e6 / (2.0 * n);
            if (alloc) await AddAllocationsAsync(figures, lines, scheduler.Id, n, allocProfile, cancellationToken);
            return figures;
        }
        finally
        {
            await StopAllAsync(started);
        }
    }

    /// <summary>
    /// Starts <c>shoal scheduler</c> and <paramref name="workers"/> <c>shoal worker</c> processes as a user does (added to
    /// <paramref name="started"/>, the scheduler first) and waits until every worker registered: the scheduler's address and
    /// each worker's seconds from exec to registered.
    /// </summary>
    internal static async Task<(string Address, double[] Registered)> StartClusterAsync(string cli, int workers, int threads, bool nanny, List<Process> started,
        CancellationToken cancellationToken, AllocationLines? lines = null, string? allocTrace = null)
    {
        var alloc = allocTrace is not null;
        lines ??= new AllocationLines();
        var scheduler = Start(cli, ["scheduler", "--port", "0"], redirectOut: true, redirectErr: alloc, allocTrace: allocTrace);
        started.Add(scheduler);
        if (alloc) _ = DrainAsync(scheduler.StandardError, lines);
        var address = await ReadLineAsync(scheduler.StandardOutput, "Scheduler at: ", cancellationToken);
        _ = DrainAsync(scheduler.StandardOutput, lines);
        var registrations = new List<Task<double>>();
        for (var i = 0; i < workers; i++)
        {
            var clock = Stopwatch.StartNew();
            List<string> workerArgs = ["worker", address, "--nthreads", Str(threads)];
            if (!nanny) workerArgs.Add("--no-nanny");
            var worker = Start(cli, workerArgs, redirectOut: true, redirectErr: true, allocTrace: allocTrace);
            started.Add(worker);
            // The log line may come on stdout or stderr (a nanny passes its worker's log on).
            registrations.Add(Task.WhenAny(WaitRegisteredAsync(worker.StandardOutput, clock, lines, cancellationToken), WaitRegisteredAsync(worker.StandardError, clock, lines, cancellationToken)).Unwrap());
        }

        var registered = await Task.WhenAll(registrations).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        return (address, registered);
    }

    /// <summary>Kills the processes (with their children), last started first.</summary>
    internal static async Task StopAllAsync(List<Process> started)
    {
        foreach (var p in Enumerable.Reverse(started))
        {
            try
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync(CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            p.Dispose();
        }
    }

    /// <summary>Each run's bytes allocated per task in the scheduler, the workers (nannies included) and end to end with the client's.</summary>
    private static async Task AddAllocationsAsync(Dictionary<string, double> figures, AllocationLines lines, int schedulerPid, int n, bool profile, CancellationToken cancellationToken)
    {
        await lines.WaitForAllAfterAsync(AllocationLines.NowMicros(), cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        foreach (var name in new[] { "first", "second" })
        {
            long from = (long)figures[$"{name}_start_us"], to = (long)figures[$"{name}_end_us"];
            var sums = new Dictionary<string, double>(StringComparer.Ordinal);
            void Sum(string key, double value) => sums[key] = sums.GetValueOrDefault(key) + value;
            foreach (var pid in lines.Pids)
            {
                if (lines.Between(pid, from, to) is not { } d) continue;
                var role = pid == schedulerPid ? "scheduler" : "workers";
                Sum($"{name}_{role}_b_per_task", d.Bytes / (double)n);
                Sum($"{name}_{role}_cpu_us_per_task", d.CpuMicros / (double)n);
                Sum($"{name}_{role}_jit_us_per_task", d.JitMicros / (double)n);
                Sum($"{name}_{role}_jit_methods", d.JitMethods);
                if (profile) await Console.Error.WriteLineAsync($"{role} {pid} allocations, {name} run: {d.Bytes / (double)n:0} B/task, CPU {d.CpuMicros / (double)n:0.0} µs/task (JIT {d.JitMicros / (double)n:0.0} µs/task, {d.JitMethods} methods); sampled by type:\n{AllocationLines.Report(d.Types, n)}");
            }

            foreach (var role in new[] { "scheduler", "workers" })
            {
                foreach (var what in new[] { "b_per_task", "cpu_us_per_task", "jit_us_per_task", "jit_methods" }) figures[$"{name}_{role}_{what}"] = sums.GetValueOrDefault($"{name}_{role}_{what}");
            }

            var schedulerBytes = figures[$"{name}_scheduler_b_per_task"] * n;
            var workerBytes = figures[$"{name}_workers_b_per_task"] * n;
            figures[$"{name}_end_to_end_b_per_task"] = figures[$"{name}_client_b_per_task"] + (schedulerBytes + workerBytes) / n;
        }
    }

    /// <summary>The fresh client: connect, wait for the workers, time the first and then a second map + gather.</summary>
    private static async Task<int> ClientChildAsync(string address, int workers, int n, bool allocProfile, CancellationToken cancellationToken)
    {
        using var profile = allocProfile ? new AllocationProfile() : null;
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        await using var client = await Client.ConnectAsync(address, cancellationToken: cancellationToken);
        await client.WaitForWorkersAsync(workers, cancellationToken);
        figures["client_connected_s"] = clock.Elapsed.TotalSeconds;
        for (var run = 0; run < 2; run++)
        {
            profile?.Clear();
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var pause = GC.GetTotalPauseDuration();
            var cpu = Environment.CpuUsage.TotalTime;
            var jit = System.Runtime.JitInfo.GetCompilationTime();
            var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
            var startMicros = AllocationLines.NowMicros();
            clock.Restart();
            var futures = client.Map(Inc, LongRange((long)run * n, n));
            var results = await client.GatherAsync(futures, cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            var endMicros = AllocationLines.NowMicros();
            var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            foreach (var future in futures) future.Dispose();
            if (results[0] != (long)run * n + 1 || results[^1] != (long)run * n + n) throw new InvalidOperationException($"wrong results {results[0]}..{results[^1]}");
            var name = run == 0 ? "first" : "second";
            figures[$"{name}_s"] = seconds;
            figures[$"{name}_start_us"] = startMicros;
            figures[$"{name}_end_us"] = endMicros;
            figures[$"{name}_tasks_per_s"] = n / seconds;
            figures[$"{name}_client_b_per_task"] = bytes / (double)n;
            figures[$"{name}_client_gc_pause_s"] = (GC.GetTotalPauseDuration() - pause).TotalSeconds;
            figures[$"{name}_client_cpu_s"] = (Environment.CpuUsage.TotalTime - cpu).TotalSeconds;
            figures[$"{name}_client_jit_us_per_task"] = (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalMicroseconds / n;
            figures[$"{name}_client_jit_methods"] = System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethods;
            if (profile is not null) await Console.Error.WriteLineAsync($"client allocations, {name} run: {profile.Report(n)}");
            await ThroughputBenchmark.DrainAsync(client, cancellationToken);
        }

        Console.WriteLine(JsonSerializer.Serialize(figures));
        return 0;
    }

    private static IEnumerable<long> LongRange(long start, int count)
    {
        for (var i = 0; i < count; i++) yield return start + i;
    }

    internal static Process Start(string dll, IEnumerable<string> args, bool redirectOut = false, bool redirectErr = false, string? allocTrace = null)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = redirectOut,
            RedirectStandardError = redirectErr,
            UseShellExecute = false,
        };
        if (allocTrace is not null) info.Environment[Shoal.Platform.AllocationTrace.Variable] = allocTrace;
        info.ArgumentList.Add(dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {dll}");
    }

    private static async Task<string> ReadLineAsync(StreamReader reader, string prefix, CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..].Trim();
        }

        throw new InvalidOperationException($"the process ended before printing '{prefix}'");
    }

    /// <summary>Seconds from exec to the worker's "registered with" log line; the rest of its log is drained meanwhile.</summary>
    private static async Task<double> WaitRegisteredAsync(StreamReader stderr, Stopwatch clock, AllocationLines lines, CancellationToken cancellationToken)
    {
        while (await stderr.ReadLineAsync(cancellationToken) is { } line)
        {
            if (lines.Offer(line)) continue;
            if (line.Contains("registered with", StringComparison.Ordinal))
            {
                var seconds = clock.Elapsed.TotalSeconds;
                _ = DrainAsync(stderr, lines);
                return seconds;
            }
        }

        await Task.Delay(Timeout.Infinite, cancellationToken); // the other stream says it
        throw new OperationCanceledException(cancellationToken);
    }

    private static async Task DrainAsync(StreamReader reader, AllocationLines lines)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line) lines.Offer(line);
        }
        catch (IOException)
        {
            // the worker was stopped
        }
    }

    /// <summary>CPU seconds (user + system) of a process and its descendants (a worker and the nanny's children), from /proc.</summary>
    private static double TreeCpuSeconds(int pid)
    {
        double total = 0;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            total += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0; // utime, stime in ticks
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    total += TreeCpuSeconds(int.Parse(child, CultureInfo.InvariantCulture));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // gone meanwhile
        }

        return total;
    }

    private static string Str(int x) => x.ToString(CultureInfo.InvariantCulture);
}

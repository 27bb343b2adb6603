using Microsoft.Extensions.Logging;
using Shoal.Execution;
using Shoal.Scheduling;

namespace Shoal.Hosting;

/// <summary>Runs a standalone scheduler until cancelled (what <c>shoal scheduler</c> runs).</summary>
public static class SchedulerHost
{
    /// <summary>
    /// Starts a scheduler, writes its address on <paramref name="stdout"/> as the first line,
    /// serves until <paramref name="cancellationToken"/> is cancelled, then shuts down gracefully.
    /// </summary>
    /// <param name="options">Where to listen and how to behave.</param>
    /// <param name="stdout">Where the address and logs go.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl-C / SIGTERM.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(SchedulerHostOptions options, TextWriter stdout, CancellationToken cancellationToken)
    {
        using var loggers = HostLogging.Create(stdout);
        var listen = $"tcp://{HostLogging.FormatHost(options.Host)}:{options.Port}";
        // Loopback and no credentials given: a per-cluster token that only this user can read.
        var security = options.Security ?? Security.LocalTokenFile.DefaultFor(listen, options.Insecure);
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = listen,
            LoggerFactory = loggers,
            Security = security,
            Insecure = options.Insecure,
        }, cancellationToken).ConfigureAwait(false);
        using var tokenFile = Security.LocalTokenFile.Publish(scheduler.Address, options.Security is null ? security : null, loggers);
        await stdout.WriteLineAsync($"Scheduler at: {scheduler.Address}").ConfigureAwait(false);
        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        await HostLogging.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}

/// <summary>Runs workers that join a scheduler (what <c>shoal worker</c> runs).</summary>
public static class WorkerHost
{
    /// <summary>
    /// Starts the workers, serves until <paramref name="cancellationToken"/> is cancelled or the
    /// scheduler is gone, then shuts down gracefully.
    /// </summary>
    /// <param name="options">Which scheduler to join and with what capacity.</param>
    /// <param name="stdout">Where logs go.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl-C / SIGTERM.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(WorkerHostOptions options, TextWriter stdout, CancellationToken cancellationToken)
    {
        using var loggers = HostLogging.Create(stdout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        HostLogging.ExitWithParentIfAsked(stop);
        var count = Math.Max(1, options.NWorkers);
        var baseName = options.Name ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        var host = HostLogging.FormatHost(options.ListenHost ?? "127.0.0.1");
        var workers = new List<WorkerServer>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                workers.Add(await WorkerServer.StartAsync(new WorkerServerOptions
                {
                    SchedulerAddress = options.SchedulerAddress,
                    ListenAddress = $"tcp://{host}:0",
                    Name = count == 1 ? baseName : $"{baseName}-{i}",
                    NThreads = Math.Max(1, options.NThreads),
                    MemoryLimit = options.GetMemoryLimitPerWorker(),
                    Resources = options.Resources,
                    LoggerFactory = loggers,
                    Security = options.Security,
                }, stop.Token).ConfigureAwait(false));
            }

            var anyStopped = Task.WhenAny(workers.Select(w => w.Stopped));
            var cancelled = HostLogging.WaitForShutdownAsync(stop.Token);
            if (await Task.WhenAny(anyStopped, cancelled).ConfigureAwait(false) == anyStopped)
            {
                var reason = await (await anyStopped.ConfigureAwait(false)).ConfigureAwait(false);
                await stdout.WriteLineAsync($"Worker stopping: {reason}").ConfigureAwait(false);
            }

            return 0;
        }
        finally
        {
            foreach (var worker in workers) await worker.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Runs a single-node cluster: a scheduler and worker processes (what <c>shoal local</c> runs).</summary>
public static class LocalHost
{
    /// <summary>
    /// Starts the scheduler and the workers, writes the scheduler address as the first line on
    /// <paramref name="stdout"/>, serves until <paramref name="cancellationToken"/> is
    /// cancelled, then shuts everything down.
    /// </summary>
    /// <param name="options">How many workers, of what size, listening where.</param>
    /// <param name="stdout">Where the address and logs go.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl-C / SIGTERM.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(LocalHostOptions options, TextWriter stdout, CancellationToken cancellationToken)
    {
        using var loggers = HostLogging.Create(stdout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        HostLogging.ExitWithParentIfAsked(stop);
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true,
            Workers = Math.Max(0, options.Workers),
            ThreadsPerWorker = options.GetThreadsPerWorker(),
            MemoryLimitPerWorker = options.GetMemoryPerWorker(),
            Host = options.Host,
            SchedulerPort = options.Port,
            LoggerFactory = loggers,
            WorkerCommand = Environment.GetEnvironmentVariable("SHOAL_CLI") ?? HostLogging.OwnWorkerCommand(),
        }, stop.Token).ConfigureAwait(false);
        await stdout.WriteLineAsync($"Scheduler at: {cluster.SchedulerAddress}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"Workers: {cluster.WorkerCount} x {options.GetThreadsPerWorker()} threads, {Util.ByteSize.Format(options.GetMemoryPerWorker())} each").ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        await HostLogging.WaitForShutdownAsync(stop.Token).ConfigureAwait(false);
        return 0;
    }
}

/// <summary>What the three hosts share: logging to stdout, waiting for shutdown, parent watching.</summary>
internal static class HostLogging
{
    public static ILoggerFactory Create(TextWriter stdout)
    {
        var level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("SHOAL_LOG_LEVEL"), ignoreCase: true, out var l) ? l : LogLevel.Information;
        return LoggerFactory.Create(builder => builder.SetMinimumLevel(level).AddProvider(new TextWriterLoggerProvider(stdout, level)));
    }

    public static string FormatHost(string host) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;

    public static async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The normal way out.
        }
    }

    /// <summary>In a child started by a LocalCluster: exit when the parent's pipe on stdin closes.</summary>
    public static void ExitWithParentIfAsked(CancellationTokenSource stop)
    {
        if (Environment.GetEnvironmentVariable(WorkerProcess.ParentWatchVariable) != "1") return;
        var thread = new Thread(() =>
        {
            try
            {
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (stdin.Read(buffer, 0, buffer.Length) > 0)
                {
                    // The parent never writes; anything read is ignored until end-of-file.
                }
            }
            catch (IOException)
            {
                // A broken pipe means the parent is gone too.
            }

            stop.Cancel();
        })
        { IsBackground = true, Name = "shoal-parent-watch" };
        thread.Start();
    }

    /// <summary>The command that started this process, when it is the shoal CLI, to start workers the same way.</summary>
    public static string? OwnWorkerCommand()
    {
        var entry = System.Reflection.Assembly.GetEntryAssembly();
        if (entry?.GetName().Name != "Shoal.Cli") return null;
        var location = entry.Location;
        return string.IsNullOrEmpty(location) ? Environment.ProcessPath : location;
    }
}

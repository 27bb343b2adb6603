using Microsoft.Extensions.Logging;
using Shoal.Deploy;
using Shoal.Execution;
using Shoal.Platform;
using Shoal.Scheduling;

namespace Shoal.Hosting;

/// <summary>Runs a standalone scheduler until cancelled (what <c>shoal scheduler</c> runs).</summary>
internal static partial class SchedulerHost
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
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Started by an SshCluster: credentials come first on the SSH channel, whose end (the cluster gone) stops it.
        var (_, handoff) = HostLogging.ExitWithParentIfAsked(stop);
        options = options with { Security = options.Security ?? handoff.Credentials };
        cancellationToken = stop.Token;
        var listen = $"tcp://{HostLogging.FormatHost(options.Host)}:{options.Port}";
        // Loopback and no credentials given: a per-cluster token that only this user can read.
        var security = options.Security ?? Security.LocalTokenFile.DefaultFor(listen, options.Insecure);
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = listen,
            LoggerFactory = loggers,
            Security = security,
            Insecure = options.Insecure,
            IdleTimeout = options.IdleTimeout,
            Dashboard = DashboardFor(options),
        }, cancellationToken).ConfigureAwait(false);
        using var tokenFile = Security.LocalTokenFile.Publish(options.Credentials, scheduler.Address, options.Security is null ? security : null);
        await stdout.WriteLineAsync($"Scheduler at: {scheduler.Address}").ConfigureAwait(false);
        if (scheduler.Dashboard is { } dashboard) await stdout.WriteLineAsync(dashboard.StartLine()).ConfigureAwait(false);
        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (tokenFile is not null) Security.LocalTokenFile.LogWritten(options.Credentials, scheduler.Address, loggers);
        var shutdown = HostLogging.WaitForShutdownAsync(cancellationToken);
        if (await Task.WhenAny(shutdown, scheduler.Idle).ConfigureAwait(false) == scheduler.Idle)
        {
            await stdout.WriteLineAsync($"Scheduler idle for {options.IdleTimeout!.Value.TotalSeconds:0.###} s with no client: shutting down").ConfigureAwait(false);
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return 0;
    }
}

/// <summary>Runs workers that join a scheduler (what <c>shoal worker</c> runs).</summary>
internal static class WorkerHost
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
        try
        {
            return await RunWorkersAsync(options, stdout, cancellationToken).ConfigureAwait(false);
        }
        catch (SchedulerUnreachableException e)
        {
            // Waited for the scheduler for the whole death timeout: a distinct exit code, which its nanny does not restart.
            await stdout.WriteLineAsync($"Worker stopping: {e.Message} (death-timeout)").ConfigureAwait(false);
            return HostExitCodes.SchedulerUnreachable;
        }
    }

    private static async Task<int> RunWorkersAsync(WorkerHostOptions options, TextWriter stdout, CancellationToken cancellationToken)
    {
        Platform.StartupTrace.Mark("worker-host");
        using var loggers = HostLogging.Create(stdout);
        Platform.StartupTrace.Mark("logging");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var (started, handoff) = HostLogging.ExitWithParentIfAsked(stop);
        // Credentials from the parent's pipe count as given: the nanny, its reports and the worker all use them.
        options = options with { Security = options.Security ?? handoff.Credentials };
        var count = Math.Max(1, options.NWorkers);
        var baseName = options.Name ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        // Without --host: the local address of the route to the scheduler, which its other peers can reach too.
        // (When the scheduler's name does not resolve yet, as a pod's Service may not, it waits as for the scheduler.)
        var host = HostLogging.FormatHost(options.ListenHost ?? await WorkerListenAddress.ChooseAsync(options.SchedulerAddress,
            options.DeathTimeout ?? WorkerHostOptions.DefaultDeathTimeout, loggers.CreateLogger("Shoal.Worker"), stop.Token).ConfigureAwait(false));
        Platform.StartupTrace.Mark("listen-host");
        // Before any nanny or worker starts: a data plane in clear off loopback needs --insecure spelled out.
        if (!options.Insecure && Security.ListenerPolicy.IsPlaintextOffLoopback($"tcp://{host}:0",
                options.Security ?? options.Credentials.Find(options.SchedulerAddress)))
            throw Security.ListenerPolicy.Refuse(
                options.ListenHost is null ? $"tcp://{host} (the address that reaches the scheduler: no --host was given)" : $"tcp://{host}",
                Protocol.Messages.Role.Worker);
        if (options.Nanny)
        {
            // Each worker in its own process, restarted by its nanny (this process) when it dies.
            var logger = loggers.CreateLogger("Shoal.Nanny");
            var nannies = Enumerable.Range(0, count)
                .Select(i => new Nanny(new NannySpec(options with { HttpPort = options.HttpPortOf(i) }, count == 1 ? baseName : $"{baseName}-{i}", options.MemoryTerminateFraction), logger, stdout).RunAsync(stop.Token))
                .ToArray();
            var codes = await Task.WhenAll(nannies).ConfigureAwait(false);
            return codes.Max();
        }

        var underNanny = Environment.GetEnvironmentVariable(Nanny.NannyVariable) == "1";
        if (!started.IsCompleted)
        {
            // A standby: do ahead what the first registration would pay for, then wait for the nanny's word.
            // (Told to start meanwhile, it joins at once; the throwaway cluster winds down in the background.)
            await Task.WhenAny(StandbyWarmup.RunAsync(started, stop.Token), started).ConfigureAwait(false);
            try
            {
                await started.WaitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return 0; // not needed after all: the nanny stopped
            }
        }
        var workers = new List<WorkerServer>();
        var endpoints = new List<WorkerEndpoint>();
        var processMemory = new ProcessMemoryAccount(options.GetMemoryLimitPerWorker() * count); // the workers of this process share its memory accounting
        var threadPool = new ThreadPoolReservation(); // --nworkers N --no-nanny: N workers, one process
        using var guard = new UnexpectedExitGuard(stdout);
        try
        {
            return await ServeAsync(workers).ConfigureAwait(false);
        }
        finally
        {
            foreach (var worker in workers) await worker.DisposeAsync().ConfigureAwait(false);
            foreach (var endpoint in endpoints) await endpoint.DisposeAsync().ConfigureAwait(false);
        }

        async Task<int> ServeAsync(List<WorkerServer> workers)
        {
            for (var i = 0; i < count; i++)
            {
                var name = count == 1 ? baseName : $"{baseName}-{i}";
                // The endpoint first: its address goes into the worker's registration.
                var endpoint = await WorkerEndpoint.StartAsync(name, host, options.HttpPortOf(i),
                    options.Security ?? options.Credentials.Find(options.SchedulerAddress), loggers, stop.Token).ConfigureAwait(false);
                endpoints.Add(endpoint);
                workers.Add(await WorkerServer.StartAsync(new WorkerServerOptions
                {
                    SchedulerAddress = options.SchedulerAddress,
                    Credentials = options.Credentials,
                    ListenAddress = $"tcp://{host}:0",
                    Name = name,
                    Instruments = endpoint.Instruments,
                    HttpAddress = endpoint.Address,
                    LogForwardLevel = options.LogForwardLevel,
                    NThreads = Math.Max(1, options.NThreads),
                    MemoryLimit = options.GetMemoryLimitPerWorker(),
                    ProcessMemory = processMemory,
                    Resources = options.Resources,
                    DeathTimeout = options.DeathTimeout ?? WorkerHostOptions.DefaultDeathTimeout,
                    SpillDirectory = options.LocalDirectory,
                    Nanny = underNanny,
                    NannyId = underNanny ? handoff.NannyId : null,
                    JournalPath = underNanny && count == 1 ? handoff.JournalPath : null,
                    MemoryTargetFraction = options.MemoryTargetFraction,
                    MemoryPauseFraction = options.MemoryPauseFraction,
                    LoggerFactory = loggers,
                    Security = options.Security,
                    Insecure = options.Insecure,
                    ThreadPool = threadPool,
                }, stop.Token).ConfigureAwait(false));
            }

            var anyStopped = Task.WhenAny(workers.Select(w => w.Stopped));
            var cancelled = HostLogging.WaitForShutdownAsync(stop.Token);
            if (await Task.WhenAny(anyStopped, cancelled).ConfigureAwait(false) == anyStopped)
            {
                var reason = await (await anyStopped.ConfigureAwait(false)).ConfigureAwait(false);
                await stdout.WriteLineAsync($"Worker stopping: {reason}").ConfigureAwait(false);
                // A restart asked by a client: the nanny starts a new process on this code. (Without a nanny the
                // scheduler refuses the restart, so this process would just end.)
                if (underNanny && workers.Any(w => w.RestartRequested)) return HostExitCodes.RestartRequested;
            }

            return 0;
        }
    }
}

/// <summary>Exit codes of the hosts beyond 0 (done), 1 (failed) and 2 (bad command line).</summary>
internal static class HostExitCodes
{
    /// <summary>A worker gave up waiting for its scheduler (its death timeout passed before it ever got through).</summary>
    public const int SchedulerUnreachable = 3;

    /// <summary>A worker process exited while serving, not by its host's shutdown (a task called Environment.Exit): restarted by its nanny.</summary>
    public const int ExitedWhileServing = 4;

    /// <summary>A worker process closed by the scheduler for a restart a client asked for (Client.RestartAsync): restarted by its nanny.</summary>
    public const int RestartRequested = 5;
}

/// <summary>Runs a single-node cluster: a scheduler and worker processes (what <c>shoal local</c> runs).</summary>
internal static class LocalHost
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
        _ = HostLogging.ExitWithParentIfAsked(stop); // `shoal local` is never handed anything
        // Its own token is for this machine's processes; off loopback that would be a plaintext scheduler (TLS flags lift that).
        var listen = $"tcp://{HostLogging.FormatHost(options.Host)}:{options.Port}";
        if (Security.ListenerPolicy.IsPlaintextOffLoopback(listen, options.Security)) throw Security.ListenerPolicy.RefuseLocalCluster(listen);
        var security = options.Security ?? SecurityOptions.TemporaryToken();
        IDisposable? tokenFile = null;
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Security = security,
            Credentials = options.Credentials,
            Processes = true,
            Workers = Math.Max(0, options.Workers),
            ThreadsPerWorker = options.GetThreadsPerWorker(),
            MemoryLimitPerWorker = options.GetMemoryPerWorker(),
            Host = options.Host,
            SchedulerPort = options.Port,
            WorkerHttpPort = options.WorkerHttpPort,
            LoggerFactory = loggers,
            WorkerCommand = Environment.GetEnvironmentVariable("SHOAL_CLI") ?? HostLogging.OwnWorkerCommand(),
            SchedulerStarted = address =>
            {
                // Other programs of this user on this machine find the cluster's token by its address, as with
                // `shoal scheduler`; written before the address is printed, so whoever reads it can connect at once.
                // Credentials given: clients bring theirs (a stale token file of this port is deleted).
                tokenFile = Security.LocalTokenFile.Publish(options.Credentials, address, options.Security is null ? security : null);
                stdout.WriteLine($"Scheduler at: {address}");
                stdout.Flush();
            },
            DashboardStarted = line =>
            {
                stdout.WriteLine(line);
                stdout.Flush();
            },
        }, stop.Token).ConfigureAwait(false);
        using var deleteTokenFile = tokenFile;
        // Logged after the dashboard's line, which must follow "Scheduler at:".
        if (tokenFile is not null) Security.LocalTokenFile.LogWritten(options.Credentials, cluster.SchedulerAddress, loggers);
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
        // Made directly, not with LoggerFactory.Create: that builds a dependency-injection container
        // first, which cost a fresh worker process ~60 ms of its start-up (bench/RESULTS.md, worker-start).
        return new LoggerFactory([new TextWriterLoggerProvider(stdout, level)], new LoggerFilterOptions { MinLevel = level });
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

    /// <summary>
    /// In a child started by a LocalCluster or a nanny: exit when the parent's pipe on stdin
    /// closes. A standby worker (<see cref="Nanny.StandbyVariable"/>) also waits for a "start"
    /// line from its nanny before it joins: the returned task completes then (at once otherwise).
    /// Returns also what the parent handed down first on the same pipe (<see cref="ParentHandoff"/>).
    /// </summary>
    public static (Task Started, ParentHandoff Handoff) ExitWithParentIfAsked(CancellationTokenSource stop)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Environment.GetEnvironmentVariable(Nanny.StandbyVariable) != "1") started.TrySetResult();
        if (Environment.GetEnvironmentVariable(WorkerProcess.ParentWatchVariable) != "1")
        {
            started.TrySetResult();
            return (started.Task, ParentHandoff.None);
        }

        var stdin = new StreamReader(Console.OpenStandardInput());
        // Credentials come first on the pipe, before this process dials anyone.
        var credentials = Security.ParentPipeCredentials.Receive(stdin);
        var (nannyId, journalPath) = NannyIdentity.Receive(stdin);
        var thread = new Thread(() =>
        {
            try
            {
                using var _ = stdin;
                while (stdin.ReadLine() is { } line)
                {
                    // The parent writes only "start" (to a standby worker); the rest waits for end-of-file.
                    if (line == "start") started.TrySetResult();
                }
            }
            catch (IOException)
            {
                // A broken pipe means the parent is gone too.
            }

            stop.Cancel();
            started.TrySetCanceled();
            // The pipe closes when the nanny stops or dies: either way nobody will read its journal again,
            // and a nanny killed with SIGKILL cannot remove the directory itself.
            NannyJournalDirectories.RemoveFor(journalPath);
        })
        { IsBackground = true, Name = "shoal-parent-watch" };
        thread.Start();
        return (started.Task, new ParentHandoff(credentials, nannyId, journalPath));
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

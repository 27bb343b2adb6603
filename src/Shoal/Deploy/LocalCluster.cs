using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Deploy;
using Shoal.Execution;
using Shoal.Platform;
using Shoal.Scheduling;

namespace Shoal;

/// <summary>
/// A scheduler and workers on this machine, started with no set-up: in this process by default
/// (tasks and values passed by reference), or as child processes. Disposing it stops everything,
/// child processes included; children also exit by themselves when this process dies.
/// </summary>
public sealed partial class LocalCluster : ICluster
{
    private readonly LocalClusterOptions _options;
    private readonly SchedulerServer _scheduler;
    private readonly ILogger _logger;
    private readonly List<IAsyncDisposable> _workers = [];
    private readonly SemaphoreSlim _scaling = new(1, 1);
    private readonly string _clusterId = Guid.NewGuid().ToString("N")[..8];
    private int _nextWorker;
    private readonly ProcessMemoryAccount _processMemory = new(); // in-process workers share the process's memory accounting
    private int _disposed;

    private readonly SecurityOptions _security;
    private readonly IDisposable _registration;

    private LocalCluster(LocalClusterOptions options, SchedulerServer scheduler, SecurityOptions security)
    {
        _security = security;
        // Client.ConnectAsync(cluster) and in-process workers of this process find the credentials by address.
        _registration = options.Credentials.Register(scheduler.Address, security);
        _options = options;
        _scheduler = scheduler;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<LocalCluster>();
    }

    /// <inheritdoc />
    public string SchedulerAddress => _scheduler.Address;

    /// <inheritdoc />
    public string? DashboardLink => _scheduler.Dashboard?.SignInLink();

    /// <summary>True when the workers are child processes.</summary>
    public bool Processes => _options.Processes;

    /// <summary>The number of workers started (and not yet stopped) by this cluster.</summary>
    public int WorkerCount
    {
        get { lock (_workers) return _workers.Count; }
    }

    /// <summary>The scheduler (tests and diagnostics).</summary>
    internal SchedulerServer Scheduler => _scheduler;

    /// <summary>Names of the workers this cluster started and has not stopped, oldest first.</summary>
    public IReadOnlyList<string> WorkerNames
    {
        get { lock (_workers) return _workers.Select(NameOf).ToArray(); }
    }

    /// <summary>Process ids of the worker processes (empty in-process; with <see cref="LocalClusterOptions.Nanny"/>, the nannies').</summary>
    public IReadOnlyList<int> WorkerProcessIds
    {
        get { lock (_workers) return _workers.OfType<WorkerProcess>().Select(w => w.ProcessId).ToArray(); }
    }

    /// <summary>Starts a scheduler and workers, and waits until every worker has registered.</summary>
    /// <param name="options">How many workers, how big, in-process or not.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The running cluster.</returns>
    public static async Task<LocalCluster> StartAsync(LocalClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        StartupTrace.Mark("local-cluster");
        options ??= new LocalClusterOptions();
        var cores = Environment.ProcessorCount;
        var workers = options.Workers ?? (options.Processes ? (cores <= 4 ? cores : (int)Math.Ceiling(Math.Sqrt(cores))) : 1);
        if (workers < 0) throw new ArgumentOutOfRangeException(nameof(options), "Workers must be 0 or more.");
        options = options with
        {
            Workers = workers,
            ThreadsPerWorker = options.ThreadsPerWorker ?? Math.Max(1, cores / Math.Max(1, workers)),
            MemoryLimitPerWorker = options.MemoryLimitPerWorker ?? MachineMemory.TotalBytes / Math.Max(1, workers),
        };

        var id = Guid.NewGuid().ToString("N")[..8];
        var listen = options.Processes ? $"tcp://{options.Host}:{options.SchedulerPort}" : $"inproc://local-{id}";
        var security = options.Security ?? SecurityOptions.TemporaryToken();
        var schedulerOptions = new SchedulerServerOptions { ListenAddress = listen, LoggerFactory = options.LoggerFactory, Security = security,
            Dashboard = options.DashboardAddress is { } dashboard ? new Dashboard.DashboardOptions { Address = dashboard, FallBackToFreePort = dashboard == ":8787" } : null };
        if (options.ConfigureScheduler is { } configure) schedulerOptions = configure(schedulerOptions);
        var scheduler = await SchedulerServer.StartAsync(schedulerOptions, cancellationToken).ConfigureAwait(false);
        StartupTrace.Mark("scheduler-started");
        options.SchedulerStarted?.Invoke(scheduler.Address);
        if (scheduler.Dashboard is { } started) options.DashboardStarted?.Invoke(started.StartLine());
        var cluster = new LocalCluster(options, scheduler, security);
        try
        {
            await cluster.ScaleAsync(workers, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        StartupTrace.Mark("cluster-ready");
        return cluster;
    }

    /// <summary>Starts or retires workers until there are <paramref name="workers"/>; ends adaptive scaling (as Dask's <c>scale</c> does).</summary>
    /// <param name="workers">The number of workers wanted.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task ScaleAsync(int workers, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workers);
        await StopAdaptingAsync().ConfigureAwait(false);
        await ScaleCoreAsync(workers, cancellationToken).ConfigureAwait(false);
    }

    private async Task ScaleCoreAsync(int workers, CancellationToken cancellationToken)
    {
        await _scaling.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var starting = new List<Task<IAsyncDisposable>>();
            List<IAsyncDisposable> stopping = [];
            lock (_workers)
            {
                if (!_options.Processes) _processMemory.Limit = _options.MemoryLimitPerWorker!.Value * workers;
                for (var i = _workers.Count; i < workers; i++) starting.Add(StartWorkerAsync(cancellationToken));
                if (_workers.Count > workers)
                {
                    stopping = _workers.GetRange(workers, _workers.Count - workers);
                    _workers.RemoveRange(workers, _workers.Count - workers);
                }
            }

            if (stopping.Count > 0)
            {
                // Results only the leaving workers hold move to the others first: nothing is recomputed.
                await _scheduler.RetireWorkersAsync(stopping.Select(NameOf).ToArray(), 0).WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (var worker in stopping) await worker.DisposeAsync().ConfigureAwait(false);
            var started = await Task.WhenAll(starting).ConfigureAwait(false);
            lock (_workers) _workers.AddRange(started);
            await WaitForWorkersAsync(workers, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _scaling.Release();
        }
    }

    private static string NameOf(IAsyncDisposable worker) => worker switch
    {
        WorkerServer server => server.Name,
        ObservedWorker observed => observed.Name,
        WorkerProcess process => process.Name,
        _ => "",
    };

    /// <summary>The in-process workers' threads, summed in one reservation of this process's pool.</summary>
    private readonly ThreadPoolReservation _threadPool = new();

    private async Task<IAsyncDisposable> StartWorkerAsync(CancellationToken cancellationToken)
    {
        var index = Interlocked.Increment(ref _nextWorker) - 1;
        var name = $"local-{_clusterId}-{index}";
        if (!_options.Processes) return await StartInProcessWorkerAsync(name, WorkerHttpPortOf(index), cancellationToken).ConfigureAwait(false);

        return WorkerProcess.Start(new WorkerProcessSpec(_scheduler.Address, name, _options.ThreadsPerWorker!.Value,
            _options.MemoryLimitPerWorker!.Value, _options.Resources, _options.Host, _options.WorkerCommand)
        {
            Credentials = Security.CredentialBundle.Write(_security, Protocol.Messages.Role.Worker),
            ExtraArguments = WorkerHttpPortOf(index) is { } httpPort
                ? [.. _options.ExtraWorkerArguments, "--http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]
                : _options.ExtraWorkerArguments,
            SpillDirectory = _options.SpillDirectory,
            Nanny = _options.Nanny,
        }, _logger);
    }

    /// <summary>Waits until the scheduler counts <paramref name="workers"/> workers, or a worker process died.</summary>
    private Task WaitForWorkersAsync(int workers, CancellationToken cancellationToken) =>
        _scheduler.WaitForWorkerCountAsync(workers, _options.StartTimeout, () =>
        {
            WorkerProcess[] processes;
            lock (_workers) processes = _workers.OfType<WorkerProcess>().ToArray();
            foreach (var process in processes)
            {
                if (process.HasExited) throw new InvalidOperationException($"Worker process {process.Name} exited with code {process.ExitCode} before registering: {process.LastOutput}");
            }
        }, cancellationToken);

    /// <summary>Stops the workers (child processes included) and the scheduler.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopAdaptingAsync().ConfigureAwait(false);
        IAsyncDisposable[] workers;
        lock (_workers)
        {
            workers = [.. _workers];
            _workers.Clear();
        }

        await Task.WhenAll(workers.Select(w => w.DisposeAsync().AsTask())).ConfigureAwait(false);
        await _scheduler.DisposeAsync().ConfigureAwait(false);
        _registration.Dispose();
        _scaling.Dispose();
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Execution;

namespace Shoal.Deploy;

/// <summary>
/// Workers as threads of this process (<c>inproc://</c>: tasks and values travel by reference). As an in-process
/// <see cref="LocalCluster"/>'s do, they share one memory account (pauses compare the process's memory with the sum of
/// their limits, not with each one's share) and one reservation of the thread pool.
/// </summary>
public sealed class InProcessWorkerLauncher : IWorkerLauncher
{
    private readonly ConcurrentDictionary<string, WorkerServer> _workers = new();
    private readonly ConcurrentDictionary<string, WorkerLaunchStatus> _status = new();
    private readonly ConcurrentDictionary<string, long> _limits = new();
    private readonly ILoggerFactory? _loggers;
    private readonly ProcessMemoryAccount _memory = new();
    private readonly Platform.ThreadPoolReservation _threadPool = new();

    /// <summary>Creates the launcher.</summary>
    /// <param name="loggerFactory">Where the workers log; none by default.</param>
    public InProcessWorkerLauncher(ILoggerFactory? loggerFactory = null) => _loggers = loggerFactory;

    /// <inheritdoc />
    public bool InProcess => true;

    /// <summary>The memory account the workers share (tests and diagnostics).</summary>
    internal ProcessMemoryAccount Memory => _memory;

    /// <inheritdoc />
    public async Task StartAsync(WorkerLaunch worker, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _status[worker.Name] = WorkerLaunchStatus.Starting;
        // Counted before the worker starts: the cluster starts its workers together, so the first to check its memory
        // already compares the process with every starting worker's limit (as LocalCluster sets the sum beforehand).
        CountLimit(worker.Name, worker.MemoryLimit);
        try
        {
            var server = await WorkerServer.StartAsync(new WorkerServerOptions
            {
                SchedulerAddress = worker.SchedulerAddress,
                ListenAddress = $"inproc://{worker.Name}",
                Name = worker.Name,
                NThreads = worker.Threads,
                MemoryLimit = worker.MemoryLimit,
                LoggerFactory = _loggers,
                Security = worker.Security,
                ProcessMemory = _memory,
                ThreadPool = _threadPool,
            }, cancellationToken).ConfigureAwait(false);
            _workers[worker.Name] = server;
            _status[worker.Name] = WorkerLaunchStatus.Running;
        }
        catch
        {
            _status[worker.Name] = WorkerLaunchStatus.Failed;
            CountLimit(worker.Name, null);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!_workers.TryRemove(name, out var server)) return;
        _status[name] = WorkerLaunchStatus.Stopped;
        await server.DisposeAsync().ConfigureAwait(false);
        CountLimit(name, null);
    }

    /// <summary>Sets (or, with null, drops) a worker's limit in the shared account, whose limit is their sum.</summary>
    private void CountLimit(string name, long? limit)
    {
        lock (_limits)
        {
            if (limit is { } bytes) _limits[name] = bytes;
            else _limits.TryRemove(name, out _);
            // One worker without a limit leaves the process without one, as its own account would have.
            _memory.Limit = _limits.Values.Any(l => l <= 0) ? 0 : _limits.Values.Sum();
        }
    }

    /// <inheritdoc />
    public WorkerLaunchStatus GetStatus(string name) =>
        _workers.TryGetValue(name, out var server) && server.Stopped.IsCompleted ? WorkerLaunchStatus.Failed
        : _status.GetValueOrDefault(name, WorkerLaunchStatus.Unknown);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetLogsAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([]); // they log through the logger factory given

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var name in _workers.Keys.ToArray()) await StopAsync(name).ConfigureAwait(false);
    }
}

/// <summary>Workers as child processes of this one (<c>shoal worker</c>), which exit with it however it dies.</summary>
public sealed class ProcessWorkerLauncher : IWorkerLauncher
{
    private readonly ConcurrentDictionary<string, WorkerProcess> _workers = new();
    private readonly ConcurrentDictionary<string, WorkerLaunchStatus> _status = new();
    private readonly ILogger _logger;
    private readonly string _host;
    private readonly string? _command;
    private readonly bool _nanny;

    /// <summary>Creates the launcher.</summary>
    /// <param name="host">The address workers listen on (default loopback).</param>
    /// <param name="workerCommand">The shoal CLI to run (default: found as LocalCluster finds it).</param>
    /// <param name="nanny">Run each worker under a nanny that restarts it.</param>
    /// <param name="loggerFactory">Where the launcher logs.</param>
    public ProcessWorkerLauncher(string host = "127.0.0.1", string? workerCommand = null, bool nanny = false, ILoggerFactory? loggerFactory = null)
    {
        _host = host;
        _command = workerCommand;
        _nanny = nanny;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ProcessWorkerLauncher>();
    }

    /// <inheritdoc />
    public bool InProcess => false;

    /// <inheritdoc />
    public Task StartAsync(WorkerLaunch worker, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _status[worker.Name] = WorkerLaunchStatus.Starting;
        try
        {
            _workers[worker.Name] = WorkerProcess.Start(new WorkerProcessSpec(worker.SchedulerAddress, worker.Name, worker.Threads, worker.MemoryLimit, null, _host, _command)
            {
                Credentials = Security.CredentialBundle.Write(worker.Security, Protocol.Messages.Role.Worker),
                Nanny = _nanny,
            }, _logger);
            _status[worker.Name] = WorkerLaunchStatus.Running;
            return Task.CompletedTask;
        }
        catch
        {
            _status[worker.Name] = WorkerLaunchStatus.Failed;
            throw;
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!_workers.TryRemove(name, out var process)) return;
        _status[name] = WorkerLaunchStatus.Stopped;
        await process.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public WorkerLaunchStatus GetStatus(string name) =>
        _workers.TryGetValue(name, out var process) && process.HasExited ? WorkerLaunchStatus.Failed
        : _status.GetValueOrDefault(name, WorkerLaunchStatus.Unknown);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetLogsAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(_workers.TryGetValue(name, out var process)
            ? process.LastOutput.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)
            : []);

    /// <inheritdoc />
    public async ValueTask DisposeAsync() =>
        await Task.WhenAll(_workers.Keys.ToArray().Select(name => StopAsync(name))).ConfigureAwait(false);
}

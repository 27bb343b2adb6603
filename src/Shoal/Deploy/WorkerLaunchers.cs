using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Execution;

namespace Shoal.Deploy;

/// <summary>Workers as threads of this process (<c>inproc://</c>: tasks and values travel by reference).</summary>
public sealed class InProcessWorkerLauncher : IWorkerLauncher
{
    private readonly ConcurrentDictionary<string, WorkerServer> _workers = new();
    private readonly ConcurrentDictionary<string, WorkerLaunchStatus> _status = new();
    private readonly ILoggerFactory? _loggers;

    /// <summary>Creates the launcher.</summary>
    /// <param name="loggerFactory">Where the workers log; none by default.</param>
    public InProcessWorkerLauncher(ILoggerFactory? loggerFactory = null) => _loggers = loggerFactory;

    /// <inheritdoc />
    public bool InProcess => true;

    /// <inheritdoc />
    public async Task StartAsync(WorkerLaunch worker, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _status[worker.Name] = WorkerLaunchStatus.Starting;
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
            }, cancellationToken).ConfigureAwait(false);
            _workers[worker.Name] = server;
            _status[worker.Name] = WorkerLaunchStatus.Running;
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
        if (!_workers.TryRemove(name, out var server)) return;
        _status[name] = WorkerLaunchStatus.Stopped;
        await server.DisposeAsync().ConfigureAwait(false);
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

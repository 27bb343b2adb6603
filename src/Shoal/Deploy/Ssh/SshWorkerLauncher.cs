using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Shoal.Deploy;

/// <summary>
/// Workers on other hosts, each a <c>shoal worker</c> run over SSH by the system <c>ssh</c> client
/// (see <see cref="SshOptions"/>); a new worker goes to the host running the fewest. The remote
/// shoal's version is checked first; credentials travel on the SSH channel's standard input, never
/// on a command line or in a file; every remote worker exits when it is stopped, when this launcher
/// is disposed, when this process dies, or when its SSH connection drops.
/// </summary>
public sealed class SshWorkerLauncher : IWorkerLauncher
{
    private readonly IReadOnlyList<string> _hosts;
    private readonly SshOptions _ssh;
    private readonly IReadOnlyList<string> _workerArguments;
    private readonly ILogger _logger;
    private readonly Dictionary<string, SshProcess> _workers = [];
    private readonly Dictionary<string, string> _placing = []; // worker name -> host, while its launch is under way
    private readonly Dictionary<string, WorkerLaunchStatus> _status = [];

    /// <summary>Creates the launcher.</summary>
    /// <param name="hosts">The hosts (<c>[user@]host</c>, or a name from the ssh configuration), used in turn.</param>
    /// <param name="ssh">How ssh reaches them; null: ssh's defaults.</param>
    /// <param name="workerArguments">More <c>shoal worker</c> arguments (e.g. <c>--local-directory</c>).</param>
    /// <param name="loggerFactory">Where the launcher and the workers' output log.</param>
    public SshWorkerLauncher(IReadOnlyList<string> hosts, SshOptions? ssh = null, IReadOnlyList<string>? workerArguments = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        if (hosts.Count == 0) throw new ArgumentException("at least one host is needed", nameof(hosts));
        if (hosts.FirstOrDefault(string.IsNullOrWhiteSpace) is not null) throw new ArgumentException("a host name is empty", nameof(hosts));
        _hosts = [.. hosts];
        _ssh = ssh ?? new SshOptions();
        _workerArguments = workerArguments ?? [];
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SshWorkerLauncher>();
    }

    /// <inheritdoc />
    public bool InProcess => false;

    /// <summary>The host each running worker is on, by worker name.</summary>
    public IReadOnlyDictionary<string, string> HostOf
    {
        get { lock (_workers) return _workers.ToDictionary(w => w.Key, w => w.Value.Host); }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Completes once the remote shoal passed its version check and starts. A host ssh cannot
    /// reach (or log in to) is skipped for the next; when none can, or the remote shoal is missing
    /// or another version, throws <see cref="SshException"/> saying why.
    /// </remarks>
    public async Task StartAsync(WorkerLaunch worker, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(worker);
        string[] candidates;
        lock (_workers)
        {
            if (_workers.ContainsKey(worker.Name)) throw new InvalidOperationException($"worker {worker.Name} is already running");
            _status[worker.Name] = WorkerLaunchStatus.Starting;
            // The hosts running (or being given) the fewest first (stable: ties keep the order given).
            // Launches being placed count too, so that concurrent launches spread over the hosts.
            candidates = [.. _hosts.OrderBy(h => _workers.Values.Count(w => w.Host == h) + _placing.Values.Count(p => p == h))];
            _placing[worker.Name] = candidates[0];
        }

        try
        {
            SshException? first = null;
            foreach (var host in candidates)
            {
                try
                {
                    lock (_workers) _placing[worker.Name] = host;
                    await StartOnAsync(host, worker, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (SshException e) when (e.SshFailed)
                {
                    first ??= e; // that host is unreachable (or refuses us): the next may do
                }
            }

            lock (_workers) _status[worker.Name] = WorkerLaunchStatus.Failed;
            throw first!;
        }
        finally
        {
            lock (_workers) _placing.Remove(worker.Name);
        }
    }

    private async Task StartOnAsync(string host, WorkerLaunch worker, CancellationToken cancellationToken)
    {
        SshProcess process;
        lock (_workers)
        {
            var bundle = Security.CredentialBundle.Write(worker.Security, Protocol.Messages.Role.Worker);
            process = SshProcess.Start(_ssh, host, worker.Name, [
                "worker", worker.SchedulerAddress, "--no-nanny",
                "--name", worker.Name,
                "--nthreads", worker.Threads.ToString(CultureInfo.InvariantCulture),
                "--memory-limit", worker.MemoryLimit.ToString(CultureInfo.InvariantCulture),
                .. _workerArguments,
            ], bundle.Length > 0 ? bundle : null, _logger);
            _workers[worker.Name] = process;
            _placing.Remove(worker.Name);
        }

        try
        {
            await process.WaitForLineAsync(l => l == SshCommandLine.StartedMarker, cancellationToken).ConfigureAwait(false);
            lock (_workers) _status[worker.Name] = WorkerLaunchStatus.Running;
        }
        catch
        {
            lock (_workers)
            {
                _workers.Remove(worker.Name);
                _status[worker.Name] = WorkerLaunchStatus.Failed;
            }

            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(string name, CancellationToken cancellationToken = default)
    {
        SshProcess? process;
        lock (_workers)
        {
            if (!_workers.Remove(name, out process)) return;
            _status[name] = WorkerLaunchStatus.Stopped;
        }

        await process.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public WorkerLaunchStatus GetStatus(string name)
    {
        lock (_workers)
        {
            if (_workers.TryGetValue(name, out var process) && process.Exited.IsCompleted) return WorkerLaunchStatus.Failed;
            return _status.GetValueOrDefault(name, WorkerLaunchStatus.Unknown);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetLogsAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_workers) return Task.FromResult(_workers.TryGetValue(name, out var process) ? process.LastLines : (IReadOnlyList<string>)[]);
    }

    /// <summary>Stops every worker it started.</summary>
    public async ValueTask DisposeAsync()
    {
        string[] names;
        lock (_workers) names = [.. _workers.Keys];
        await Task.WhenAll(names.Select(name => StopAsync(name))).ConfigureAwait(false);
    }
}

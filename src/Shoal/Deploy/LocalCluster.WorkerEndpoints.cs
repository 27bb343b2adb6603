using Shoal.Execution;
using Shoal.Metrics;

namespace Shoal;

// LocalClusterOptions.WorkerHttpPort: each worker's /metrics over HTTP, in-process workers as worker processes.
public sealed partial class LocalCluster
{
    /// <summary>The HTTP port of the worker started <paramref name="index"/>th: the option's port + index, 0 stays 0 (free ports), null when none.</summary>
    private int? WorkerHttpPortOf(int index) => _options.WorkerHttpPort is { } port ? (port == 0 ? 0 : port + index) : null;

    /// <summary>
    /// An in-process worker, with its own meter and, when <paramref name="httpPort"/> asks, its own
    /// endpoint (started first: its address goes into the worker's registration, as <c>shoal worker</c> does).
    /// </summary>
    private async Task<IAsyncDisposable> StartInProcessWorkerAsync(string name, int? httpPort, CancellationToken cancellationToken)
    {
        var security = _security.ForRole(Protocol.Messages.Role.Worker);
        WorkerInstruments? instruments = null;
        MetricsEndpoint? endpoint = null;
        try
        {
            if (httpPort is { } port)
            {
                instruments = new WorkerInstruments(name);
                endpoint = await MetricsEndpoint.StartAsync(instruments.Meter, _options.Host, port, security, Protocol.Messages.Role.Worker, _options.LoggerFactory, cancellationToken)
                    .ConfigureAwait(false);
            }

            var server = await WorkerServer.StartAsync(new WorkerServerOptions
            {
                SchedulerAddress = _scheduler.Address,
                ListenAddress = $"inproc://{name}",
                Name = name,
                NThreads = _options.ThreadsPerWorker!.Value,
                MemoryLimit = _options.MemoryLimitPerWorker!.Value,
                ProcessMemory = _processMemory,
                Resources = _options.Resources ?? new Dictionary<string, double>(),
                LoggerFactory = _options.LoggerFactory,
                Security = security,
                SpillDirectory = _options.SpillDirectory,
                ThreadPool = _threadPool,
                Credentials = _options.Credentials,
                Instruments = instruments,
                HttpAddress = endpoint?.BaseAddress,
            }, cancellationToken).ConfigureAwait(false);
            return endpoint is null ? server : new ObservedWorker(server, endpoint, instruments!);
        }
        catch
        {
            if (endpoint is not null) await endpoint.DisposeAsync().ConfigureAwait(false);
            instruments?.Dispose();
            throw;
        }
    }

    /// <summary>An in-process worker with its metrics endpoint: stopped together, the worker first.</summary>
    private sealed class ObservedWorker(WorkerServer server, MetricsEndpoint endpoint, WorkerInstruments instruments) : IAsyncDisposable
    {
        public string Name => server.Name;

        public async ValueTask DisposeAsync()
        {
            await server.DisposeAsync().ConfigureAwait(false);
            await endpoint.DisposeAsync().ConfigureAwait(false);
            instruments.Dispose();
        }
    }
}

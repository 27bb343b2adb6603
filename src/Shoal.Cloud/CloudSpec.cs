using Microsoft.Extensions.Logging;
using Shoal.Deploy;

namespace Shoal.Cloud;

/// <summary>The scheduler and workers of a cloud cluster: what every cloud manager hands <see cref="SpecCluster"/>.</summary>
internal sealed record CloudSpec(string Id, string SchedulerHost, int SchedulerPort, string AdvertisedHost, SecurityOptions? Security, TimeSpan StartTimeout, ILoggerFactory? LoggerFactory)
{
    /// <summary>Starts the scheduler here (TLS with new temporary certificates unless credentials were given) and the first workers there.</summary>
    public Task<SpecCluster> StartAsync(IWorkerLauncher launcher, int workers, int threads, long memoryLimit, CancellationToken cancellationToken) =>
        SpecCluster.StartAsync(new SpecClusterOptions
        {
            Launcher = launcher,
            Workers = workers,
            ThreadsPerWorker = threads,
            MemoryLimitPerWorker = memoryLimit,
            Security = Security ?? SecurityOptions.Temporary(hosts: [AdvertisedHost]),
            Host = SchedulerHost,
            SchedulerPort = SchedulerPort,
            NamePrefix = $"shoal-{Id}-",
            StartTimeout = StartTimeout,
            LoggerFactory = LoggerFactory,
        }, cancellationToken);
}

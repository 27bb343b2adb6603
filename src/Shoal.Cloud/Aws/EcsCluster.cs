using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Deploy;

namespace Shoal.Cloud.Aws;

/// <summary>
/// A Shoal cluster whose workers are Amazon ECS tasks (Fargate by default), with the scheduler in this
/// process: private addresses, TLS between everyone, a security group admitting only its own members, every
/// AWS object tagged <c>shoal:cluster</c> and removed at <see cref="DisposeAsync"/> (and by
/// <see cref="CleanupAsync"/> when a client died before). Scaling goes through <see cref="SpecCluster"/>:
/// workers leave only by retirement.
/// </summary>
public sealed class EcsCluster : ICluster
{
    private readonly AwsApis _apis;
    private readonly EcsResources _resources;
    private readonly EcsWorkerLauncher _launcher;
    private readonly SpecCluster _spec;
    private readonly ILogger _logger;
    private int _disposed;

    private EcsCluster(AwsApis apis, EcsResources resources, EcsWorkerLauncher launcher, SpecCluster spec, ILogger logger)
    {
        _apis = apis;
        _resources = resources;
        _launcher = launcher;
        _spec = spec;
        _logger = logger;
    }

    /// <summary>The id in every name and <c>shoal:cluster</c> tag of this cluster's AWS objects.</summary>
    public string Id => _resources.Id;

    /// <summary>The ECS cluster the tasks run in.</summary>
    public string ClusterArn => _resources.ClusterArn;

    /// <inheritdoc />
    public string SchedulerAddress => _spec.SchedulerAddress;

    /// <inheritdoc />
    public string? DashboardLink => _spec.DashboardLink;

    /// <summary>Names of the workers launched and not stopped, oldest first.</summary>
    public IReadOnlyList<string> WorkerNames => _spec.WorkerNames;

    /// <summary>Each worker's time from RunTask to its registration with the scheduler.</summary>
    public IReadOnlyDictionary<string, TimeSpan> StartupTimes => _spec.StartupTimes;

    /// <summary>The ECS task of each worker launched, by worker name.</summary>
    public IReadOnlyDictionary<string, string> Tasks => _launcher.Tasks;

    /// <summary>Makes the AWS objects, starts the scheduler here and the first workers there, and waits until they registered.</summary>
    /// <param name="options">The image, the sizes, the network.</param>
    /// <param name="cancellationToken">Stops waiting (what was made is removed).</param>
    public static async Task<EcsCluster> StartAsync(EcsClusterOptions options, CancellationToken cancellationToken = default)
    {
        Validate(options);
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<EcsCluster>();
        var id = Guid.NewGuid().ToString("N")[..12];
        var apis = new AwsApis(options);
        EcsResources? resources = null;
        EcsWorkerLauncher? launcher = null;
        try
        {
            resources = await EcsResources.CreateAsync(apis, options, id, logger, cancellationToken).ConfigureAwait(false);
            var host = options.AdvertisedSchedulerHost ?? CloudAddresses.DefaultHost();
            launcher = new EcsWorkerLauncher(apis, resources, options, host, logger);
            var spec = await new CloudSpec(id, options.SchedulerHost, options.SchedulerPort, host, options.Security, options.StartTimeout, options.LoggerFactory)
                .StartAsync(launcher, options.Workers, options.ThreadsPerWorker ?? Math.Max(1, options.Cpu / 1024), options.MemoryMiB * 1024L * 1024L, cancellationToken)
                .ConfigureAwait(false);
            return new EcsCluster(apis, resources, launcher, spec, logger);
        }
        catch
        {
            // SpecCluster disposed itself (and asked for its workers' stops); the tasks must be gone before their network is.
            if (launcher is not null)
            {
                await launcher.StopAllAndWaitAsync(CancellationToken.None).ConfigureAwait(false);
                await launcher.DisposeAsync().ConfigureAwait(false);
            }
            if (resources is not null) await resources.DeleteAsync(CancellationToken.None).ConfigureAwait(false);
            apis.Dispose();
            throw;
        }
    }

    private static void Validate(EcsClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Image)) throw new ArgumentException("Image is required: the Shoal container image the workers run", nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Workers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Cpu);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MemoryMiB);
        if (!options.Fargate && options.ClusterArn is null)
            throw new ArgumentException("the EC2 launch type runs on an existing cluster's container instances: give ClusterArn", nameof(options));
        if (options.FargateSpot && !options.Fargate) throw new ArgumentException("FargateSpot needs Fargate", nameof(options));
        if (options.Security is { UsesTls: false })
            throw new ArgumentException("cloud workers need TLS credentials (SecurityOptions.Temporary() or `shoal certs create`)", nameof(options));
    }

    /// <summary>Starts or retires workers until there are <paramref name="workers"/>, and waits until they registered.</summary>
    /// <param name="workers">The number wanted.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task ScaleAsync(int workers, CancellationToken cancellationToken = default) => _spec.ScaleAsync(workers, cancellationToken);

    /// <summary>Sizes the cluster from the scheduler's adaptive target between <paramref name="minimum"/> and <paramref name="maximum"/> workers.</summary>
    /// <param name="minimum">Never fewer.</param>
    /// <param name="maximum">Never more.</param>
    /// <param name="cancellationToken">Stops waiting for the first reading.</param>
    public Task AdaptAsync(int minimum, int maximum, CancellationToken cancellationToken = default) => _spec.AdaptAsync(minimum, maximum, cancellationToken);

    /// <summary>Sizes the cluster from the scheduler's adaptive target, as <see cref="SpecCluster.AdaptAsync(AdaptOptions, CancellationToken)"/>.</summary>
    /// <param name="options">Bounds and pace.</param>
    /// <param name="cancellationToken">Stops waiting for the first reading.</param>
    public Task AdaptAsync(AdaptOptions options, CancellationToken cancellationToken = default) => _spec.AdaptAsync(options, cancellationToken);

    /// <summary>Each worker's last log lines from CloudWatch Logs.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> GetLogsAsync(CancellationToken cancellationToken = default) => _spec.GetLogsAsync(cancellationToken);

    /// <summary>Stops the workers and the scheduler, waits for the tasks to stop, then removes every AWS object the cluster made.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await _spec.DisposeAsync().ConfigureAwait(false);
            await _launcher.StopAllAndWaitAsync(CancellationToken.None).ConfigureAwait(false);
            await _launcher.DisposeAsync().ConfigureAwait(false);
            await _resources.DeleteAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _apis.Dispose();
        }
    }

    /// <summary>
    /// Removes what Shoal clusters left on AWS when their client died before disposing them: the tasks
    /// (stopped first), task definitions, security groups, execution roles, log groups and ECS clusters
    /// tagged <c>shoal:managed-by</c>; only those of cluster <paramref name="clusterId"/> when given.
    /// Without an id, run it when no Shoal cluster of the account and region is in use.
    /// </summary>
    /// <param name="options">Region, credentials and endpoints (the rest is not used).</param>
    /// <param name="clusterId">One cluster's <see cref="Id"/>; null: all of them.</param>
    /// <param name="cancellationToken">Stops the cleanup (what is left stays for the next).</param>
    /// <returns>The ids of the clusters whose objects were found.</returns>
    public static async Task<IReadOnlyList<string>> CleanupAsync(EcsClusterOptions options, string? clusterId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<EcsCluster>();
        using var apis = new AwsApis(options);
        return await new EcsLeftovers(apis, logger, options.PollInterval).RemoveAsync(clusterId, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Amazon ECS on Fargate: an <see cref="EcsCluster"/> whose tasks run on Fargate (or Fargate Spot), as Dask's <c>FargateCluster</c>.</summary>
public static class FargateCluster
{
    /// <summary>Starts an <see cref="EcsCluster"/> on Fargate.</summary>
    /// <param name="options">The image, the sizes, the network (<see cref="EcsClusterOptions.Fargate"/> is set).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public static Task<EcsCluster> StartAsync(EcsClusterOptions options, CancellationToken cancellationToken = default) =>
        EcsCluster.StartAsync((options ?? throw new ArgumentNullException(nameof(options))) with { Fargate = true }, cancellationToken);
}

namespace Shoal.Flows;

/// <summary>The executors: in this process, an existing cluster or address, or a new cluster per run.</summary>
public static class FlowExecutors
{
    /// <summary>Workers as threads of the calling process (an in-process <see cref="LocalCluster"/> per run: nothing serialised).</summary>
    /// <param name="threads">Threads of the one worker; null: the machine's cores.</param>
    /// <returns>The executor.</returns>
    public static IFlowExecutor InProcess(int? threads = null) =>
        PerRun((_, cancel) => Shoal.LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = threads }, cancel), null, "in-process");

    /// <summary>A new <see cref="LocalCluster"/> per run (worker processes when <see cref="LocalClusterOptions.Processes"/>).</summary>
    /// <param name="options">The cluster's options.</param>
    /// <param name="sizing">Workers from the run's parameters, within adapt bounds; null: the options' count.</param>
    /// <returns>The executor.</returns>
    public static IFlowExecutor LocalCluster(LocalClusterOptions? options = null, ClusterSizing? sizing = null) =>
        PerRun((_, cancel) => Shoal.LocalCluster.StartAsync(options, cancel), sizing, options?.Processes == true ? "local cluster (processes)" : "local cluster");

    /// <summary>A cluster that outlives the run (not torn down).</summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="clientOptions">The client's options.</param>
    /// <returns>The executor.</returns>
    public static IFlowExecutor Cluster(ICluster cluster, ClientOptions? clientOptions = null) => new Existing(cluster.SchedulerAddress, clientOptions, () => DashboardLinks.Of(cluster));

    /// <summary>A scheduler already running at an address.</summary>
    /// <param name="address">The scheduler's address.</param>
    /// <param name="clientOptions">The client's options (credentials).</param>
    /// <returns>The executor.</returns>
    public static IFlowExecutor Address(string address, ClientOptions? clientOptions = null) => new Existing(address, clientOptions, () => null);

    /// <summary>
    /// A new cluster per run from any factory (<c>SshCluster</c>, <c>KubeCluster</c>, ...), scaled
    /// from the run's parameters within the sizing's bounds, and disposed when the run ends.
    /// </summary>
    /// <param name="factory">Starts the cluster for a run's parameters.</param>
    /// <param name="sizing">Workers from the parameters; null: as the factory made it.</param>
    /// <param name="description">What it is, for the run's log.</param>
    /// <returns>The executor.</returns>
    public static IFlowExecutor PerRun(Func<object, Task<ICluster>> factory, ClusterSizing? sizing = null, string description = "per-run cluster") =>
        new PerRunCluster((p, _) => factory(p), sizing, description);

    /// <summary>Same, with a typed factory.</summary>
    /// <typeparam name="TParams">The flow's parameters' type.</typeparam>
    /// <param name="factory">Starts the cluster for a run's parameters.</param>
    /// <param name="sizing">Workers from the parameters; null: as the factory made it.</param>
    /// <returns>The executor.</returns>
    public static IFlowExecutor PerRun<TParams>(Func<TParams, Task<ICluster>> factory, ClusterSizing? sizing = null) =>
        new PerRunCluster((p, _) => factory((TParams)p), sizing, "per-run cluster");

    // Awaited, not continued with t.Result: a start that failed or was cancelled is reported as itself, not wrapped in
    // an AggregateException ("One or more errors occurred"), which made a cancelled start look like a crash.
    private static async Task<ICluster> Start<TCluster>(Task<TCluster> start) where TCluster : ICluster => await start.ConfigureAwait(false);

    private static IFlowExecutor PerRun(Func<object, CancellationToken, Task<Shoal.LocalCluster>> factory, ClusterSizing? sizing, string description) =>
        new PerRunCluster((p, cancel) => Start(factory(p, cancel)), sizing, description);

    private sealed class Existing(string address, ClientOptions? clientOptions, Func<string?> dashboard) : IFlowExecutor
    {
        public async Task<FlowExecution> StartAsync(object parameters, CancellationToken cancellationToken)
        {
            var client = await Client.ConnectAsync(address, clientOptions, cancellationToken).ConfigureAwait(false);
            return new FlowExecution(client, $"cluster at {address}", dashboard(), null);
        }
    }

    // factory: starts the cluster for a run's parameters; the run's token cancels the start (the public factories
    // take none: their cluster is disposed when the run is cancelled once they return).
    private sealed class PerRunCluster(Func<object, CancellationToken, Task<ICluster>> factory, ClusterSizing? sizing, string description) : IFlowExecutor
    {
        public async Task<FlowExecution> StartAsync(object parameters, CancellationToken cancellationToken)
        {
            var cluster = await factory(parameters, cancellationToken).ConfigureAwait(false);
            try
            {
                if (sizing is not null) await cluster.ScaleAsync(sizing.WorkersFor(parameters), cancellationToken).ConfigureAwait(false);
                if (sizing is { Adaptive: true })
                {
                    if (cluster is not IAdaptiveCluster adaptive)
                        throw new NotSupportedException($"ClusterSizing.Adaptive: the {description}'s cluster ({cluster.GetType().Name}) cannot adapt; it needs an IAdaptiveCluster (LocalCluster, SpecCluster, SshCluster)");
                    await adaptive.AdaptAsync(new Deploy.AdaptOptions { Minimum = sizing.Minimum, Maximum = sizing.Maximum }, cancellationToken).ConfigureAwait(false);
                }

                var client = await Client.ConnectAsync(cluster, null, cancellationToken).ConfigureAwait(false);
                return new FlowExecution(client, $"{description} at {cluster.SchedulerAddress}", DashboardLinks.Of(cluster), cluster.DisposeAsync);
            }
            catch
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }
}

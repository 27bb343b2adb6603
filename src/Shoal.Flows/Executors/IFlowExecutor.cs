namespace Shoal.Flows;

/// <summary>Where a flow run's tasks run: started when the run starts, torn down when it ends, whatever happens.</summary>
public interface IFlowExecutor
{
    /// <summary>Starts (or connects to) the cluster for one flow run.</summary>
    /// <param name="parameters">The run's parameters (for executors that size a cluster from them).</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <returns>The cluster connection; disposing it tears down what was started for the run.</returns>
    Task<FlowExecution> StartAsync(object parameters, CancellationToken cancellationToken);
}

/// <summary>A flow run's connection to its cluster, and what to tear down after the run.</summary>
public sealed class FlowExecution : IAsyncDisposable
{
    private readonly Func<ValueTask>? teardown;

    /// <summary>Wraps a client and the teardown of what was started for it.</summary>
    /// <param name="client">The client the run submits through.</param>
    /// <param name="description">What the cluster is, for the run's log.</param>
    /// <param name="dashboardLink">The cluster's dashboard, when it has one.</param>
    /// <param name="teardown">Called after the client is disposed (stop a per-run cluster); null for none.</param>
    public FlowExecution(Client client, string description, string? dashboardLink, Func<ValueTask>? teardown)
    {
        Client = client;
        Description = description;
        DashboardLink = dashboardLink;
        this.teardown = teardown;
    }

    /// <summary>The client.</summary>
    public Client Client { get; }

    /// <summary>What the cluster is.</summary>
    public string Description { get; }

    /// <summary>The dashboard's URL, when the cluster has one.</summary>
    public string? DashboardLink { get; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (teardown is not null) await teardown().ConfigureAwait(false);
        }
    }
}

/// <summary>How many workers a per-run cluster gets: a hook on the run's parameters, clamped to adapt bounds.</summary>
/// <param name="Minimum">The fewest workers.</param>
/// <param name="Maximum">The most workers.</param>
public sealed record ClusterSizing(int Minimum, int Maximum)
{
    /// <summary>The number of workers the run's parameters ask for (Prefect's <c>on_execute</c>); null: <see cref="Minimum"/>.</summary>
    public Func<object, int>? FromParameters { get; init; }

    /// <summary>
    /// After the start, let the cluster size itself from the scheduler's adaptive target between
    /// <see cref="Minimum"/> and <see cref="Maximum"/> for the whole run (the cluster must be an
    /// <see cref="IAdaptiveCluster"/>: LocalCluster, SpecCluster, SshCluster). Default false: the
    /// start's size holds.
    /// </summary>
    public bool Adaptive { get; init; }

    internal int WorkersFor(object parameters) => Math.Clamp(FromParameters?.Invoke(parameters) ?? Minimum, Minimum, Maximum);
}

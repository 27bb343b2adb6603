namespace Shoal.Flows;

/// <summary>
/// Where flow runs, task runs, state changes, parameters and log lines are recorded, and where
/// other processes read them and ask for a run's cancellation. SQLite by default, PostgreSQL
/// for a shared server (<see cref="FlowStores.OpenAsync"/>).
/// </summary>
public interface IFlowRunStore : IAsyncDisposable
{
    /// <summary>Creates the tables if they are missing.</summary>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>Completes when ready.</returns>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes a batch of events in one transaction, in order.</summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>Completes when written.</returns>
    Task WriteAsync(IReadOnlyList<RunEvent> events, CancellationToken cancellationToken = default);

    /// <summary>The latest flow runs, newest first.</summary>
    /// <param name="limit">How many.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The runs.</returns>
    Task<IReadOnlyList<FlowRunRecord>> ListFlowRunsAsync(int limit = 50, CancellationToken cancellationToken = default);

    /// <summary>A flow run by id, id prefix or name.</summary>
    /// <param name="idOrName">The id, a unique prefix of it, or the run's name.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The run, or null.</returns>
    Task<FlowRunRecord?> FindFlowRunAsync(string idOrName, CancellationToken cancellationToken = default);

    /// <summary>The task runs of a flow run, in creation order.</summary>
    /// <param name="flowRunId">The flow run.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The task runs.</returns>
    Task<IReadOnlyList<TaskRunRecord>> TaskRunsAsync(Guid flowRunId, CancellationToken cancellationToken = default);

    /// <summary>The state changes of a run (flow or task), in order.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The changes.</returns>
    Task<IReadOnlyList<StateChangeRecord>> StateChangesAsync(Guid runId, CancellationToken cancellationToken = default);

    /// <summary>A flow run's log lines after a sequence number.</summary>
    /// <param name="flowRunId">The flow run.</param>
    /// <param name="afterSequence">Lines after this one (0: from the start).</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The lines.</returns>
    Task<IReadOnlyList<RunLogLine>> LogsAsync(Guid flowRunId, long afterSequence = 0, CancellationToken cancellationToken = default);

    /// <summary>Asks for a flow run's cancellation (the runner running it polls for this).</summary>
    /// <param name="flowRunId">The flow run.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>Completes when recorded.</returns>
    Task RequestCancellationAsync(Guid flowRunId, CancellationToken cancellationToken = default);

    /// <summary>Whether someone asked for the cancellation of a flow run.</summary>
    /// <param name="flowRunId">The flow run.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>True when asked.</returns>
    Task<bool> IsCancellationRequestedAsync(Guid flowRunId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims the start of a scheduled run (a deployment at an instant); only the first claim of
    /// the pair succeeds, so a restarted server never starts a run twice.
    /// </summary>
    /// <param name="deployment">The deployment's name.</param>
    /// <param name="instant">The scheduled instant.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>True for the first claim.</returns>
    Task<bool> TryClaimScheduledRunAsync(string deployment, DateTimeOffset instant, CancellationToken cancellationToken = default);

    /// <summary>The latest claimed instant of a deployment, if any.</summary>
    /// <param name="deployment">The deployment's name.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The instant, or null.</returns>
    Task<DateTimeOffset?> LastClaimedAsync(string deployment, CancellationToken cancellationToken = default);
}

using Shoal.Scheduling;

namespace Shoal.Deploy;

/// <summary>
/// What a <see cref="SpecCluster"/> asks of its scheduler, wherever it runs: in this process
/// (<see cref="InProcessClusterScheduler"/>) or as a process on another host that the cluster
/// reaches as a client (<see cref="RemoteClusterScheduler"/>, e.g. over SSH).
/// </summary>
internal interface IClusterScheduler : IAsyncDisposable
{
    /// <summary>The address workers and clients dial.</summary>
    string Address { get; }

    /// <summary>The dashboard's link, when there is one.</summary>
    string? DashboardLink { get; }

    /// <summary>The scheduler's adaptive target and the workers registered now.</summary>
    Task<AdaptiveReading> GetAdaptiveTargetAsync(double targetDuration, CancellationToken cancellationToken);

    /// <summary>Retires <paramref name="count"/> workers of the scheduler's choosing (their unique results moved first); their names.</summary>
    Task<IReadOnlyList<string>> RetireWorkersAsync(int count, CancellationToken cancellationToken);

    /// <summary>Waits until exactly <paramref name="workers"/> workers are registered; <paramref name="check"/> runs between polls (to fail early).</summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/>.</exception>
    Task WaitForWorkerCountAsync(int workers, TimeSpan timeout, Action? check, CancellationToken cancellationToken);
}

/// <summary>A scheduler in this process: asked directly, on its loop.</summary>
internal sealed class InProcessClusterScheduler(SchedulerServer server) : IClusterScheduler
{
    public SchedulerServer Server => server;

    public string Address => server.Address;

    public string? DashboardLink => null; // SpecCluster starts its in-process scheduler without a dashboard

    public Task<AdaptiveReading> GetAdaptiveTargetAsync(double targetDuration, CancellationToken cancellationToken) =>
        server.GetAdaptiveTargetAsync(targetDuration, cancellationToken);

    public async Task<IReadOnlyList<string>> RetireWorkersAsync(int count, CancellationToken cancellationToken) =>
        await server.RetireWorkersAsync([], count).WaitAsync(cancellationToken).ConfigureAwait(false);

    public Task WaitForWorkerCountAsync(int workers, TimeSpan timeout, Action? check, CancellationToken cancellationToken) =>
        server.WaitForWorkerCountAsync(workers, timeout, check, cancellationToken);

    public ValueTask DisposeAsync() => server.DisposeAsync();
}

/// <summary>
/// A scheduler in another process (on another host), asked through a client connection; disposing
/// it closes the connection, then stops the process through <paramref name="process"/>.
/// </summary>
internal sealed class RemoteClusterScheduler(Client client, string? dashboardLink, IAsyncDisposable process) : IClusterScheduler
{
    public string Address => client.SchedulerAddress;

    public string? DashboardLink => dashboardLink;

    public async Task<AdaptiveReading> GetAdaptiveTargetAsync(double targetDuration, CancellationToken cancellationToken)
    {
        var target = await client.GetAdaptiveTargetAsync(targetDuration, cancellationToken).ConfigureAwait(false);
        return new AdaptiveReading(target.Workers, target.Current);
    }

    public Task<IReadOnlyList<string>> RetireWorkersAsync(int count, CancellationToken cancellationToken) =>
        client.RetireWorkersAsync(count, cancellationToken);

    public async Task WaitForWorkerCountAsync(int workers, TimeSpan timeout, Action? check, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            int count;
            try
            {
                count = (await client.GetClusterInfoAsync(deadline.Token).ConfigureAwait(false)).Workers.Count;
                if (count == workers) return;
                check?.Invoke();
                // Registration is not announced to clients: poll with a short back-off.
                await Task.Delay(delay, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the scheduler at {Address} did not count {workers} workers within {timeout.TotalSeconds:0} s");
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(100, delay.TotalMilliseconds * 2));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }
    }
}

using Microsoft.Extensions.Logging;

namespace Shoal.Flows;

/// <summary>
/// Starts deployments' runs on their schedules (<c>shoal flows serve</c>, or hosted in your own
/// program). Each start is claimed in the store first, so a restarted server, or a second one on
/// the same store, never starts a run twice; a restarted server resumes after the last claimed
/// start. Starts missed by more than <see cref="MissedRunTolerance"/> while no server ran are
/// skipped (and logged), not run late in a burst.
/// </summary>
public sealed class FlowServer
{
    private readonly FlowRunner runner;
    private readonly List<Deployment> deployments = [];

    /// <summary>A server running deployments through <paramref name="runner"/>.</summary>
    /// <param name="runner">The runner (its store holds the claims; its clock is the server's).</param>
    public FlowServer(FlowRunner runner) => this.runner = runner;

    /// <summary>The deployments' names.</summary>
    public IReadOnlyList<string> Deployments => [.. deployments.Select(d => d.Name)];

    /// <summary>How late a start may be and still run.</summary>
    public TimeSpan MissedRunTolerance { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Called before each wait with the deployment and the start it waits for (tests use it to move a fake clock).</summary>
    internal Action<string, DateTimeOffset>? Waiting { get; set; }

    /// <summary>Called when a run a deployment started has ended.</summary>
    internal Action<string, DateTimeOffset, RunState>? RunEnded { get; set; }

    /// <summary>Adds a deployment: a flow, its schedule and its parameters.</summary>
    /// <typeparam name="TParams">The parameters' type.</typeparam>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="name">The deployment's name (unique in the store: claims are by name).</param>
    /// <param name="flow">The flow.</param>
    /// <param name="schedule">When it runs.</param>
    /// <param name="parameters">Its parameters (validated now).</param>
    public void Add<TParams, TResult>(string name, Flow<TParams, TResult> flow, IFlowSchedule schedule, TParams parameters) where TParams : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (deployments.Any(d => d.Name == name)) throw new ArgumentException($"a deployment named '{name}' was already added", nameof(name));
        flow.Validate(parameters);
        deployments.Add(new(name, schedule, async ct => (await runner.RunAsync(flow, parameters, ct).ConfigureAwait(false)).State));
    }

    /// <summary>Runs until cancelled.</summary>
    /// <param name="cancellationToken">Stops the server (runs under way are cancelled).</param>
    /// <returns>Completes when stopped.</returns>
    public async Task ServeAsync(CancellationToken cancellationToken)
    {
        var loops = deployments.Select(d => ServeAsync(d, cancellationToken)).ToArray();
        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopped
        }
    }

    private async Task ServeAsync(Deployment deployment, CancellationToken cancellationToken)
    {
        var time = runner.Options.TimeProvider;
        var running = new List<Task>();
        var cursor = await runner.Store.LastClaimedAsync(deployment.Name, cancellationToken).ConfigureAwait(false) ?? time.GetUtcNow();
        try
        {
            while (deployment.Schedule.NextAfter(cursor) is { } next)
            {
                var now = time.GetUtcNow();
                if (next < now - MissedRunTolerance)
                {
                    runner.Logger.LogWarning("{Deployment}: skipping the start at {Instant}, missed while no server ran", deployment.Name, next);
                    cursor = next;
                    continue;
                }

                Waiting?.Invoke(deployment.Name, next);
                if (next > now) await Task.Delay(next - now, time, cancellationToken).ConfigureAwait(false);
                cursor = next;
                if (!await runner.Store.TryClaimScheduledRunAsync(deployment.Name, next, cancellationToken).ConfigureAwait(false)) continue;
                running.RemoveAll(t => t.IsCompleted);
                running.Add(StartAsync(deployment, next, cancellationToken));
            }
        }
        finally
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    private async Task StartAsync(Deployment deployment, DateTimeOffset instant, CancellationToken cancellationToken)
    {
        RunState state;
        try
        {
            state = await deployment.Run(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            runner.Logger.LogError(ex, "{Deployment}: the run scheduled at {Instant} failed to start", deployment.Name, instant);
            state = RunState.Crashed;
        }

        RunEnded?.Invoke(deployment.Name, instant, state);
    }

    private sealed record Deployment(string Name, IFlowSchedule Schedule, Func<CancellationToken, Task<RunState>> Run);
}

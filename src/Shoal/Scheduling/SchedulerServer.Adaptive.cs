namespace Shoal.Scheduling;

// What an adaptive cluster manager (SpecCluster.AdaptAsync, an autoscaler) asks the scheduler:
// how many workers the load wants, read on the loop so that it sees one consistent state.
internal sealed partial class SchedulerServer
{
    /// <summary>
    /// The number of workers the current load wants (<see cref="SchedulerState.AdaptiveTarget"/>:
    /// queued and processing work by measured durations per task group, plus the memory the
    /// results need), and the workers registered now.
    /// </summary>
    /// <param name="targetDuration">How long, in seconds, the backlog should take (Dask's default: 5).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    internal Task<AdaptiveReading> GetAdaptiveTargetAsync(double targetDuration, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<AdaptiveReading>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_events.Writer.TryWrite(SchedulerEvent.Inspect(state => done.TrySetResult(
                new AdaptiveReading(state.AdaptiveTarget(targetDuration), state.Workers.Select(id => state.WorkerNameOf(id)).ToArray())))))
            done.TrySetException(new ObjectDisposedException(nameof(SchedulerServer), "the scheduler has stopped"));
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>On the loop: a client (an autoscaler, a dashboard) asks for the target.</summary>
    private void AdaptiveTarget(Session session, Protocol.Messages.AdaptiveTargetRequest request)
    {
        var reply = new Protocol.Messages.AdaptiveTargetReply
        {
            RequestId = request.RequestId,
            Target = (uint)_state.AdaptiveTarget(request.TargetDuration > 0 ? request.TargetDuration : 5),
        };
        foreach (var id in _state.Workers) reply.Workers.Add(_state.WorkerNameOf(id));
        session.Connection.Send(new Protocol.Messages.Envelope { AdaptiveTargetReply = reply });
    }

    /// <summary>
    /// Waits until exactly <paramref name="workers"/> workers are registered; <paramref name="check"/>
    /// runs between polls (to fail early, say when a worker process died).
    /// </summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/>.</exception>
    internal async Task WaitForWorkerCountAsync(int workers, TimeSpan timeout, Action? check, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var delay = 1;
        while (WorkerCount != workers)
        {
            check?.Invoke();
            try
            {
                // Registration is a message to the loop; poll its count with a short back-off.
                await Task.Delay(delay, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{WorkerCount} workers registered, not {workers}, within {timeout.TotalSeconds:0} s.");
            }

            delay = Math.Min(50, delay * 2);
        }
    }
}

/// <summary>The scheduler's adaptive target and the workers it has.</summary>
internal sealed record AdaptiveReading(int Target, IReadOnlyList<string> Workers);

using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// Runs erred futures' tasks again (Dask's <c>retry</c>), with the erred dependencies their errors came from: the
    /// futures are pending again at once, and finish or fail as the new runs go. Futures that did not err are left
    /// alone. Await the futures for the outcome.
    /// </summary>
    /// <param name="futures">This client's futures.</param>
    /// <param name="cancellationToken">Stops waiting for the request to be sent.</param>
    /// <returns>Completes when the scheduler was asked.</returns>
    public Task RetryAsync(IEnumerable<Future> futures, CancellationToken cancellationToken = default) =>
        RetryCoreAsync(futures, null, cancellationToken);

    /// <summary>
    /// Runs erred futures' tasks again (Dask's <c>retry</c>), as <see cref="RetryAsync(IEnumerable{Future}, CancellationToken)"/>
    /// does, and lets each of them (and each erred dependency retried with it) fail <paramref name="retries"/> more times
    /// before it errs again, as <see cref="SubmitOptions.Retries"/> does at submission.
    /// </summary>
    /// <param name="futures">This client's futures.</param>
    /// <param name="retries">How many more failures each retried task may have before it errs (0: the next failure errs).</param>
    /// <param name="cancellationToken">Stops waiting for the request to be sent.</param>
    /// <returns>Completes when the scheduler was asked.</returns>
    public Task RetryAsync(IEnumerable<Future> futures, int retries, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        return RetryCoreAsync(futures, retries, cancellationToken);
    }

    private async Task RetryCoreAsync(IEnumerable<Future> futures, int? retries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(futures);
        var retry = new RetryKeys();
        if (retries is { } n) retry.Retries = (uint)n;
        foreach (var future in futures)
        {
            if (OwnEntry(future).ResetForRetry()) retry.Keys.Add(future.Key);
        }

        if (retry.Keys.Count == 0) return;
        _outbox.Send(new Envelope { RetryKeys = retry });
        await _outbox.DrainAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Lets the futures' tasks run to completion even if this client releases them or leaves (Dask's
    /// <c>fire_and_forget</c>): for tasks with side effects whose results nobody will read. The scheduler keeps each
    /// task wanted until it finishes or errs, then forgets it. Futures already finished are left alone.
    /// </summary>
    /// <param name="futures">This client's futures.</param>
    public void FireAndForget(IEnumerable<Future> futures)
    {
        ArgumentNullException.ThrowIfNull(futures);
        var message = new Protocol.Messages.FireAndForget();
        foreach (var future in futures) message.Keys.Add(OwnEntry(future).Key);
        if (message.Keys.Count > 0) _outbox.Send(new Envelope { FireAndForget = message });
    }
}

using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>How long a restart waits for the workers to register again (a new worker process starts in well under a second).</summary>
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Restarts the cluster, as Dask's <c>client.restart()</c>: the scheduler forgets every task (every future of every
    /// client ends cancelled, its reason naming the restart), and every worker process is closed and started again by
    /// its nanny. Returns once as many workers as before have registered again.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the restart goes on).</param>
    /// <exception cref="NotSupportedException">
    /// A worker has no nanny (in-process <c>LocalCluster</c> workers, <c>shoal worker --no-nanny</c>): nothing would start
    /// it again, so nothing is restarted.
    /// </exception>
    /// <exception cref="TimeoutException">The workers did not all come back within 60 s.</exception>
    public Task RestartAsync(CancellationToken cancellationToken = default) => RestartCoreAsync(true, [], cancellationToken);

    /// <summary>
    /// Restarts the named worker processes (their nannies start them again); the scheduler's tasks stay. What they were
    /// running or held follows the rules of a lost worker, except that this death does not count against a task's
    /// allowed failures. Returns once as many workers as before have registered again.
    /// </summary>
    /// <param name="workers">Names or addresses of the workers.</param>
    /// <param name="cancellationToken">Stops waiting (the restart goes on).</param>
    /// <returns>The names of the workers restarted.</returns>
    /// <exception cref="ArgumentException">No worker is named, or a name is not a worker of the cluster.</exception>
    /// <exception cref="NotSupportedException">A named worker has no nanny: nothing would start it again.</exception>
    /// <exception cref="TimeoutException">The workers did not all come back within 60 s.</exception>
    public async Task<IReadOnlyList<string>> RestartWorkersAsync(IEnumerable<string> workers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workers);
        string[] names = [.. workers];
        if (names.Length == 0) throw new ArgumentException("name at least one worker to restart (RestartAsync restarts them all)", nameof(workers));
        if (names.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("a worker name is empty", nameof(workers));
        return await RestartCoreAsync(false, names, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<string>> RestartCoreAsync(bool all, string[] workers, CancellationToken cancellationToken)
    {
        await _outbox.DrainAsync().ConfigureAwait(false); // submissions made before are forgotten too, not after
        var id = _scheduler.NextRequestId();
        var request = new RestartRequest { RequestId = id, All = all };
        request.Workers.AddRange(workers);
        var message = await _scheduler.RequestAsync(id, new Envelope { Restart = request }, default, cancellationToken).ConfigureAwait(false);
        var reply = message.Message.RestartReply;
        if (reply.Error.Length > 0)
        {
            if (reply.Error.StartsWith("no such worker", StringComparison.Ordinal)) throw new ArgumentException(reply.Error, nameof(workers));
            throw new NotSupportedException("cannot restart: " + reply.Error);
        }

        await WaitForWorkersAsync((int)reply.ExpectedWorkers, RestartTimeout, cancellationToken).ConfigureAwait(false);
        return [.. reply.Restarted];
    }
}

using Shoal.ClientSide;
using Shoal.Protocol.Messages;
using Shoal.Serialization;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// Runs a failed task again in this process, with its inputs fetched from the cluster, so that its exception is
    /// thrown here, where a debugger stops on it (Dask's <c>recreate_error_locally</c>). The task that raised is run:
    /// for a future that erred because a dependency did, that dependency. The scheduler must still know that task
    /// (it keeps an erred task while a client wants it or something that depends on it).
    /// </summary>
    /// <param name="future">An erred future of this client.</param>
    /// <param name="cancellationToken">Stops waiting for the inputs.</param>
    /// <returns>Completes with the local run's result if it does not fail this time; otherwise throws the task's own exception.</returns>
    /// <exception cref="InvalidOperationException">The future did not err, or the scheduler no longer holds the task.</exception>
    public async Task<object?> RecreateErrorLocallyAsync(Future future, CancellationToken cancellationToken = default)
    {
        var entry = OwnEntry(future);
        while (!entry.Done.IsCompleted) await entry.Done.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (entry.Status != FutureStatus.Error) throw new InvalidOperationException($"Future '{entry.Key}' did not err (it is {entry.Status}).");
        var failed = entry.Error!.Key.Length > 0 ? entry.Error.Key : entry.Key;
        var id = _scheduler.NextRequestId();
        var incoming = await _scheduler.RequestAsync(id, new Envelope { RunSpec = new RunSpecRequest { RequestId = id, Key = failed } }, default, cancellationToken).ConfigureAwait(false);
        var reply = incoming.Message.RunSpecReply;
        if (!reply.Found) throw new InvalidOperationException($"The scheduler no longer holds task '{failed}' (nothing wants it any more), so it cannot be run here.");
        failed = reply.Key;
        var spec = TaskRunSpec.Deserialize(incoming.Segments.Span[..(int)reply.RunSegmentCount]);

        // Its inputs, fetched from the workers as a gather does (not kept: these entries are not the client's).
        var inputs = reply.Dependencies.Select(k => new ClientKeyEntry(this, k, typeof(object))).ToList();
        if (inputs.Count > 0)
        {
            // An input nobody kept was released when the task erred: say so now rather than wait for it.
            var where = await WhoHasKeysAsync(reply.Dependencies, cancellationToken).ConfigureAwait(false);
            var gone = reply.Dependencies.Where(k => where.GetValueOrDefault(k) is not { Count: > 0 }).ToList();
            if (gone.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Input(s) {string.Join(", ", gone.Take(5))} of '{failed}' are no longer in memory on the cluster (released when it erred); " +
                    "keep futures for a task's inputs to run it here.");
            }

            await RelocateAndFetchAsync(inputs, cancellationToken).ConfigureAwait(false);
        }
        var values = inputs.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        return await spec.InvokeAsync(key => values.TryGetValue(key, out var value)
            ? value
            : throw new InvalidOperationException($"input '{key}' of '{failed}' was not fetched")).ConfigureAwait(false);
    }
}

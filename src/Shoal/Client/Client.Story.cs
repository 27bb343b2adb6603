using Shoal.Comm;
using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// The story of a key, as Dask's <c>story()</c>: every transition of its task that the scheduler
    /// and the live workers still remember (each keeps the latest transitions of all keys, 100,000
    /// by default), oldest first: which state it went to, on which worker, when, and the event
    /// that caused it (a worker that finished or failed it, died, gave it up to another, …).
    /// </summary>
    /// <param name="key">The task's key (<see cref="Future.Key"/>).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The transitions, ordered by time; empty when nobody remembers the key.</returns>
    /// <remarks>A worker that cannot be reached (it died) is left out: its departure is in the scheduler's part of the story.</remarks>
    public async Task<IReadOnlyList<TaskTransition>> StoryAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var id = _scheduler.NextRequestId();
        var reply = await _scheduler.RequestAsync(id, new Envelope { Story = new StoryRequest { RequestId = id, Key = key } }, default, cancellationToken)
            .ConfigureAwait(false);
        var scheduler = reply.Message.StoryReply;
        var parts = await Task.WhenAll(scheduler.Workers.Select(worker => WorkerStoryAsync(worker, key, cancellationToken))).ConfigureAwait(false);
        return [.. scheduler.Transitions.Concat(parts.SelectMany(p => p)).Select(ToTransition).OrderBy(t => t.When)];
    }

    /// <summary>The story of a future's key (<see cref="StoryAsync(string, CancellationToken)"/>).</summary>
    /// <param name="future">The future.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<IReadOnlyList<TaskTransition>> StoryAsync(Future future, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(future);
        return StoryAsync(future.Key, cancellationToken);
    }

    private async Task<IEnumerable<StoryTransition>> WorkerStoryAsync(string worker, string key, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _peers.GetAsync(worker, cancellationToken).ConfigureAwait(false);
            var id = connection.NextRequestId();
            var reply = await connection.RequestAsync(id, new Envelope { Story = new StoryRequest { RequestId = id, Key = key } }, default, cancellationToken)
                .ConfigureAwait(false);
            return reply.Message.StoryReply.Transitions;
        }
        catch (Exception e) when (e is ConnectionClosedException or IOException or System.Net.Sockets.SocketException)
        {
            _peers.Evict(worker);
            return [];
        }
    }

    private static TaskTransition ToTransition(StoryTransition t) => new(
        t.Key, t.Source, t.From, t.To, t.Worker.Length == 0 ? null : t.Worker,
        DateTimeOffset.UnixEpoch.AddTicks((long)(t.UnixSeconds * TimeSpan.TicksPerSecond)), t.StimulusId, t.Detail.Length == 0 ? null : t.Detail);
}

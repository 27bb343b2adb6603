using Shoal.Comm;
using Shoal.Protocol.Messages;

namespace Shoal.Execution;

/// <summary>A client's question for the story of a key, waiting for the worker loop.</summary>
internal sealed record StoryAsk(IConnection Connection, StoryRequest Request);

internal sealed partial class WorkerServer
{
    /// <summary>The wall-clock time at which the worker's clock read zero, to date the story's transitions.</summary>
    private readonly DateTimeOffset _storyEpoch = DateTimeOffset.UtcNow;

    /// <summary>Answers with this worker's transitions of the key (since its state was last created: a reconnection starts afresh).</summary>
    private void ServeStory(StoryAsk ask)
    {
        var reply = new StoryReply { RequestId = ask.Request.RequestId };
        var epoch = (_storyEpoch - DateTimeOffset.UnixEpoch).TotalSeconds;
        foreach (var t in _state.StoryOf(ask.Request.Key))
        {
            reply.Transitions.Add(new StoryTransition
            {
                Key = t.Key,
                Source = _options.Name,
                From = t.From.ToString(),
                To = t.To.ToString(),
                Worker = _options.Name,
                StimulusId = $"{t.Cause}-{t.StimulusId}",
                Detail = t.Detail ?? "",
                UnixSeconds = epoch + t.Time,
            });
        }

        try
        {
            ask.Connection.Send(new Envelope { StoryReply = reply });
        }
        catch (ConnectionClosedException)
        {
            // the client left meanwhile
        }
    }
}

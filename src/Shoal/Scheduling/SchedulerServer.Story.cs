using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

internal sealed partial class SchedulerServer
{
    /// <summary>The wall-clock time at which the server's clock read zero, to date the story's transitions.</summary>
    private readonly DateTimeOffset _storyEpoch = DateTimeOffset.UtcNow;

    /// <summary>A client asks for the story of a key: the scheduler's transitions, and the workers that hold their own.</summary>
    private void Story(Session session, StoryRequest request)
    {
        var reply = new StoryReply { RequestId = request.RequestId };
        var epoch = (_storyEpoch - DateTimeOffset.UnixEpoch).TotalSeconds;
        foreach (var t in _state.StoryOf(request.Key))
        {
            reply.Transitions.Add(new StoryTransition
            {
                Key = t.Key,
                Source = "scheduler",
                From = t.From.ToString(),
                To = t.To.ToString(),
                Worker = t.Worker ?? "",
                StimulusId = $"{StimulusName(t.Cause)}-{t.StimulusId}",
                Detail = t.Detail ?? "",
                UnixSeconds = epoch + t.Time,
            });
        }

        foreach (var worker in _state.Workers)
        {
            if (AddressOf(worker) is { Length: > 0 } address) reply.Workers.Add(address);
        }

        session.Connection.Send(new Envelope { StoryReply = reply });
    }

    /// <summary>Dask's spelling of a stimulus: "task-finished", "worker-left", …</summary>
    private static string StimulusName(StoryCause cause) => cause switch
    {
        StoryCause.GraphSubmitted => "update-graph",
        StoryCause.TaskFinished => "task-finished",
        StoryCause.TaskErred => "task-erred",
        StoryCause.WorkerJoined => "add-worker",
        StoryCause.WorkerLeft => "remove-worker",
        StoryCause.Tick => "tick",
        StoryCause.StealAnswered => "steal-response",
        StoryCause.DataMissing => "missing-data",
        StoryCause.KeysAdded => "add-keys",
        StoryCause.Rescheduled => "reschedule",
        StoryCause.KeysReleased => "release-keys",
        StoryCause.KeysCancelled => "cancel-keys",
        StoryCause.DataScattered => "scatter",
        StoryCause.ClientLeft => "remove-client",
        StoryCause.ClientHolds => "client-holds",
        StoryCause.RestoreFinished => "restore-finished",
        StoryCause.PlacementResumed => "resume-placing",
        StoryCause.Heartbeat => "heartbeat",
        StoryCause.KeysRetried => "retry",
        StoryCause.FireAndForget => "fire-and-forget",
        _ => cause.ToString(),
    };
}

namespace Shoal.Scheduling;

/// <summary>
/// The kind of stimulus (the event that came in) behind a task's transitions on the scheduler,
/// as Dask's stimulus ids: every transition records the event that caused it.
/// </summary>
internal enum StoryCause : byte
{
    /// <summary>A client submitted a graph.</summary>
    GraphSubmitted,
    /// <summary>A worker finished a task.</summary>
    TaskFinished,
    /// <summary>A task failed on a worker.</summary>
    TaskErred,
    /// <summary>A worker joined (or came back).</summary>
    WorkerJoined,
    /// <summary>A worker left or died.</summary>
    WorkerLeft,
    /// <summary>The periodic tick (work stealing, queued work).</summary>
    Tick,
    /// <summary>A worker answered a steal request.</summary>
    StealAnswered,
    /// <summary>A worker could not fetch an input from the worker said to hold it.</summary>
    DataMissing,
    /// <summary>A worker reported holding more keys.</summary>
    KeysAdded,
    /// <summary>A worker asked for a task to be placed again.</summary>
    Rescheduled,
    /// <summary>A client released keys.</summary>
    KeysReleased,
    /// <summary>A client cancelled keys.</summary>
    KeysCancelled,
    /// <summary>A client scattered data.</summary>
    DataScattered,
    /// <summary>A client left.</summary>
    ClientLeft,
    /// <summary>A client said which results it holds.</summary>
    ClientHolds,
    /// <summary>A client finished putting results back on a worker.</summary>
    RestoreFinished,
    /// <summary>A worker takes new tasks again.</summary>
    PlacementResumed,
    /// <summary>A worker's periodic report.</summary>
    Heartbeat,
    /// <summary>A client asked for erred tasks to run again.</summary>
    KeysRetried,
    /// <summary>A client asked that tasks run to completion whatever happens to it.</summary>
    FireAndForget,
    /// <summary>A running task gave up its thread slot to wait on other tasks.</summary>
    TaskSeceded,
}

/// <summary>
/// One transition of a task on the scheduler: from which state to which, on which worker, at
/// what time (the server's clock, in seconds), and the stimulus that caused it.
/// </summary>
/// <param name="Key">The task's key.</param>
/// <param name="From">The state it left (equal to <paramref name="To"/> for a move or a steal request while processing).</param>
/// <param name="To">The state it entered.</param>
/// <param name="Worker">The worker it was assigned to, or the one whose event caused the transition (null: a client's).</param>
/// <param name="StimulusId">The event's number on this scheduler (all transitions of one event share it).</param>
/// <param name="Cause">The kind of event.</param>
/// <param name="Detail">More about the event: a departed worker's cause, an error, a steal's thief.</param>
/// <param name="Time">The event's time on the server's clock (seconds).</param>
internal readonly record struct SchedulerTransition(
    string Key, TaskState From, TaskState To, string? Worker, long StimulusId, StoryCause Cause, string? Detail, double Time);

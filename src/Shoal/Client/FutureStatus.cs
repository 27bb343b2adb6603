namespace Shoal;

/// <summary>Where a future's task stands, as the client last heard from the scheduler.</summary>
public enum FutureStatus
{
    /// <summary>Submitted; not finished yet.</summary>
    Pending,

    /// <summary>The result is in memory on at least one worker.</summary>
    Finished,

    /// <summary>The task failed (after its retries); awaiting the future rethrows.</summary>
    Error,

    /// <summary>The task was cancelled.</summary>
    Cancelled,
}

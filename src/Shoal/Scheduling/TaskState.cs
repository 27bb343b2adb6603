namespace Shoal.Scheduling;

/// <summary>Scheduler-side state of a task (as in Dask).</summary>
internal enum TaskState : byte
{
    /// <summary>Known but not needed now (or not yet looked at).</summary>
    Released,
    /// <summary>Waiting for its dependencies.</summary>
    Waiting,
    /// <summary>Ready, held at the scheduler until a worker has a free slot (or resources).</summary>
    Queued,
    /// <summary>Ready, but no worker can run it (none, or none that satisfies its restrictions).</summary>
    NoWorker,
    /// <summary>Sent to a worker.</summary>
    Processing,
    /// <summary>Its result is held by at least one worker.</summary>
    Memory,
    /// <summary>It (or a dependency) failed.</summary>
    Erred,
    /// <summary>Gone; the scheduler no longer knows it.</summary>
    Forgotten,
    /// <summary>Every worker holding its result died, but a client that wants it holds the value: the client is putting it back on a worker.</summary>
    Restoring,
}

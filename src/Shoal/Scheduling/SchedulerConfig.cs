namespace Shoal.Scheduling;

/// <summary>Tuning knobs of <see cref="SchedulerState"/>; defaults follow Dask's.</summary>
internal sealed class SchedulerConfig
{
    /// <summary>
    /// How many root tasks a worker may hold per thread before the rest stay queued at the
    /// scheduler (Dask's <c>worker-saturation</c>). <see cref="double.PositiveInfinity"/> disables queuing.
    /// </summary>
    public double WorkerSaturation { get; set; } = 1.1;

    /// <summary>Estimated duration in seconds of a task whose group has never finished a task.</summary>
    public double DefaultTaskDuration { get; set; } = 0.5;

    /// <summary>Estimated network bandwidth between workers in bytes per second.</summary>
    public double Bandwidth { get; set; } = 100e6;

    /// <summary>Whether <see cref="SchedulerState.Tick"/> moves work from saturated to idle workers.</summary>
    public bool WorkStealing { get; set; } = true;

    /// <summary>
    /// How many workers may die while executing a task before the task is marked erred. Only deaths while it was
    /// executing count (its worker reported it started); a task merely queued on a dying worker is placed again for
    /// free. A death with no start on record for a thread counts half against the task that thread would run next.
    /// </summary>
    public int AllowedFailures { get; set; } = 3;

    /// <summary>Scheduler-worker round trip in seconds; the server may update it as it measures.</summary>
    public double RoundTrip { get; set; } = 0.001;

    /// <summary>Upper bound on the root tasks handed to one worker ahead of its threads.</summary>
    public int MaxPipelinedPerWorker { get; set; } = 1000;

    /// <summary>
    /// Whether a task whose only missing input is processing on a worker (that holds its other inputs) is assigned to
    /// that worker ahead of time, so the worker starts it as soon as the input is done, without a round trip to the
    /// scheduler per link of a chain (see SchedulerState.AheadOfTime.cs).
    /// </summary>
    public bool AheadOfTime { get; set; } = true;

    /// <summary>Upper bound on the tasks assigned ahead of time to one worker at once.</summary>
    public int MaxAheadPerWorker { get; set; } = 1000;

    /// <summary>Weight of the newest observation in the per-group duration average (0..1].</summary>
    public double DurationSmoothing { get; set; } = 0.5;

    /// <summary>
    /// How many task transitions (of all keys) the scheduler remembers for <see cref="SchedulerState.StoryOf"/>
    /// (Dask's <c>transition-log-length</c>); 0 turns stories off.
    /// </summary>
    public int StoryLength { get; set; } = 100_000;
}

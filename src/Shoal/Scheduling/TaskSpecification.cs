namespace Shoal.Scheduling;

/// <summary>One task of a graph submitted by a client.</summary>
internal sealed class TaskSpecification
{
    /// <summary>The task's key; identical keys are one task.</summary>
    public string Key { get; set; } = "";

    /// <summary>Keys of the tasks whose results this task needs.</summary>
    public string[] Dependencies { get; set; } = [];

    /// <summary>What the worker runs; opaque to the scheduler, never inspected.</summary>
    public Transfer.TaskPayload? RunSpec { get; set; }

    /// <summary>User priority: higher runs first.</summary>
    public long Priority { get; set; }

    /// <summary>How many times the task is re-run after it raised an error.</summary>
    public int Retries { get; set; }

    /// <summary>Abstract resources it needs while running, e.g. GPU=1; null for none.</summary>
    public IReadOnlyDictionary<string, double>? Resources { get; set; }

    /// <summary>Names or addresses of the workers it may run on; null for any.</summary>
    public string[]? Workers { get; set; }

    /// <summary>Whether <see cref="Workers"/> is only a preference.</summary>
    public bool AllowOtherWorkers { get; set; }

    /// <summary>Whether the submitting client holds a future for it.</summary>
    public bool Wanted { get; set; }
}

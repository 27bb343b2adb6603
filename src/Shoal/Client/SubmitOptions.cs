namespace Shoal;

/// <summary>Per-submission options, as Dask's <c>client.submit</c> keywords.</summary>
public sealed record SubmitOptions
{
    /// <summary>The task's key; by default a deterministic <c>prefix-hash</c> of the function and its arguments.</summary>
    public string? Key { get; init; }

    /// <summary>Higher runs earlier, everything else equal.</summary>
    public long Priority { get; init; }

    /// <summary>How many times to re-run the task when it throws (for flaky work).</summary>
    public int Retries { get; init; }

    /// <summary>Abstract resources the task needs while it runs, e.g. <c>{"GPU": 1}</c>.</summary>
    public IReadOnlyDictionary<string, double>? Resources { get; init; }

    /// <summary>Workers (names or addresses) the task may run on.</summary>
    public IReadOnlyList<string>? Workers { get; init; }

    /// <summary>With <see cref="Workers"/>: treat them as a preference, not a restriction.</summary>
    public bool AllowOtherWorkers { get; init; }

    /// <summary>
    /// True (the default): identical submissions share one task and one result.
    /// False: every submission is a new task (for functions with side effects or randomness).
    /// </summary>
    public bool Pure { get; init; } = true;

    internal static readonly SubmitOptions Default = new();
}

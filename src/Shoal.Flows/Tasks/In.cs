namespace Shoal.Flows;

/// <summary>
/// An input of a task run: a value, an upstream task run (its result), or a mapped run (the array
/// of its results: a reduce). Converts implicitly from each.
/// </summary>
/// <typeparam name="T">The input's type as the task sees it.</typeparam>
public readonly struct In<T>
{
    private In(T value, TaskRun<T>? run, Func<FlowRun, TaskRun[], Func<T>>? gathered, TaskRun[]? upstream)
    {
        Value = value;
        Run = run;
        Gathered = gathered;
        GatheredRuns = upstream;
    }

    internal T Value { get; }

    internal TaskRun<T>? Run { get; }

    internal Func<FlowRun, TaskRun[], Func<T>>? Gathered { get; }

    internal TaskRun[]? GatheredRuns { get; }

    /// <summary>The upstream runs this input waits for.</summary>
    internal IEnumerable<TaskRun> Upstream => Run is { } run ? [run] : GatheredRuns ?? [];

    /// <summary>A worker-side provider of the value, once every upstream run succeeded.</summary>
    internal Func<T> Provider(FlowRun flowRun) =>
        Run is { } run ? run.Provider() : Gathered is { } gather ? gather(flowRun, GatheredRuns!) : Providers.Constant(Value);

    /// <summary>The input as a Submit argument: the value, or the upstream run's future (a dependency) or cached value.</summary>
    internal Arg<T> Arg() => Run is { } run ? run.Argument() : Value;

    /// <summary>A plain value.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator In<T>(T value) => new(value, null, null, null);

    /// <summary>An upstream task run's result.</summary>
    /// <param name="run">The upstream run.</param>
    public static implicit operator In<T>(TaskRun<T> run) => new(default!, run, null, null);

    internal static In<T> Gather(TaskRun[] runs, Func<FlowRun, TaskRun[], Func<T>> gather) => new(default!, null, gather, runs);
}

/// <summary>A constant input of a map: the same for every run (Prefect's <c>unmapped</c>).</summary>
/// <typeparam name="T">The input's type.</typeparam>
/// <param name="Input">The value or run.</param>
public readonly record struct Unmapped<T>(In<T> Input);

/// <summary>One input sequence of a map: items, an upstream mapped run, or an unmapped constant.</summary>
/// <typeparam name="T">The input's type.</typeparam>
public readonly struct MapInput<T>
{
    private readonly IReadOnlyList<T>? items;
    private readonly MappedRun<T>? runs;
    private readonly In<T> constant;

    private MapInput(IReadOnlyList<T>? items, MappedRun<T>? runs, In<T> constant)
    {
        this.items = items;
        this.runs = runs;
        this.constant = constant;
    }

    /// <summary>The number of items; null for an unmapped constant.</summary>
    internal int? Count => items?.Count ?? runs?.Runs.Count;

    internal In<T> At(int index) => items is not null ? items[index] : runs is not null ? runs.Runs[index] : constant;

    /// <summary>Items of an array.</summary>
    /// <param name="items">The items.</param>
    public static implicit operator MapInput<T>(T[] items) => new(items, null, default);

    /// <summary>Items of a list.</summary>
    /// <param name="items">The items.</param>
    public static implicit operator MapInput<T>(List<T> items) => new(items, null, default);

    /// <summary>An upstream map: run n takes run n's result.</summary>
    /// <param name="runs">The upstream map.</param>
    public static implicit operator MapInput<T>(MappedRun<T> runs) => new(null, runs, default);

    /// <summary>A constant for every run.</summary>
    /// <param name="constant">The constant.</param>
    public static implicit operator MapInput<T>(Unmapped<T> constant) => new(null, null, constant.Input);
}

internal static class MapInput
{
    /// <summary>Zipped to the shortest mapped sequence; at least one input must be mapped.</summary>
    public static int Width(params int?[] counts)
    {
        var mapped = counts.Where(c => c is not null).Select(c => c!.Value).ToArray();
        if (mapped.Length == 0) throw new ArgumentException("a map needs at least one mapped input (every input is Unmapped)");
        return mapped.Min();
    }
}

/// <summary>Worker-side providers of inputs: small static lambdas, so that a closure captures only what it needs.</summary>
internal static class Providers
{
    public static Func<T> Constant<T>(T value) => () => value;

    public static Func<T> FromFuture<T>(Future<T> future) => () => future.Result;

    /// <summary>Results of many runs: a future per run whose result is in the cluster, else the value here (cached runs).</summary>
    /// <remarks>An array of futures, not of delegates: Shoal finds futures (dependencies) inside arrays in a closure.</remarks>
    public static Func<T[]> Gather<T>(TaskRun<T>[] runs)
    {
        var futures = new Future<T>?[runs.Length];
        var values = new T[runs.Length];
        for (var i = 0; i < runs.Length; i++)
        {
            if (runs[i].Local.Known) values[i] = runs[i].Local.Value;
            else futures[i] = runs[i].Future;
        }

        return () =>
        {
            var results = new T[futures.Length];
            for (var i = 0; i < futures.Length; i++) results[i] = futures[i] is { } future ? future.Result : values[i];
            return results;
        };
    }
}

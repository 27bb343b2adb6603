namespace Shoal.Flows;

/// <summary>The runs of a map, in the items' order. Map it again (pipelines) or pass it to a task taking an array (a reduce).</summary>
/// <typeparam name="T">The result type of each run.</typeparam>
public sealed class MappedRun<T>
{
    internal MappedRun(IReadOnlyList<TaskRun<T>> runs) => Runs = runs;

    /// <summary>The task runs, in order.</summary>
    public IReadOnlyList<TaskRun<T>> Runs { get; }

    /// <summary>The results, in order (throws the first run that did not succeed).</summary>
    /// <returns>An awaiter of the results.</returns>
    public System.Runtime.CompilerServices.TaskAwaiter<T[]> GetAwaiter() => ResultsAsync().GetAwaiter();

    private async Task<T[]> ResultsAsync()
    {
        var results = new T[Runs.Count];
        for (var i = 0; i < results.Length; i++) results[i] = await Runs[i];
        return results;
    }

    /// <summary>Every run's result as one array input (a reduce).</summary>
    /// <param name="mapped">The map.</param>
    public static implicit operator In<T[]>(MappedRun<T> mapped) =>
        In<T[]>.Gather([.. mapped.Runs], static (_, runs) => Providers.Gather([.. runs.Cast<TaskRun<T>>()]));
}

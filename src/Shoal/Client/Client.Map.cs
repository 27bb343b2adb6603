using Shoal.ClientSide;
namespace Shoal;

public sealed partial class Client
{
    /// <summary>Submits one task per item: <c>function(item)</c>. Keys are deterministic per item unless <see cref="SubmitOptions.Pure"/> is false; <see cref="SubmitOptions.Key"/>, if set, is the key prefix.</summary>
    /// <typeparam name="T">Item type.</typeparam>
    /// <typeparam name="TResult">Result type.</typeparam>
    /// <param name="function">What each task runs.</param>
    /// <param name="items">The items.</param>
    /// <param name="options">Options applied to every task.</param>
    /// <returns>One future per item, in order.</returns>
    public Future<TResult>[] Map<T, TResult>(Func<T, TResult> function, IEnumerable<T> items, SubmitOptions? options = null) =>
        MapCore<TResult>(function, options, items.Select(static x => new object?[] { x }));

    /// <summary>Submits one async task per item.</summary>
    /// <typeparam name="T">Item type.</typeparam>
    /// <typeparam name="TResult">Result type.</typeparam>
    /// <param name="function">What each task runs.</param>
    /// <param name="items">The items.</param>
    /// <param name="options">Options applied to every task.</param>
    /// <returns>One future per item, in order.</returns>
    public Future<TResult>[] Map<T, TResult>(Func<T, Task<TResult>> function, IEnumerable<T> items, SubmitOptions? options = null) =>
        MapCore<TResult>(function, options, items.Select(static x => new object?[] { x }));

    /// <summary>Submits one task per future, each receiving that future's result.</summary>
    /// <typeparam name="T">The futures' result type.</typeparam>
    /// <typeparam name="TResult">Result type.</typeparam>
    /// <param name="function">What each task runs.</param>
    /// <param name="futures">The futures.</param>
    /// <param name="options">Options applied to every task.</param>
    /// <returns>One future per input future, in order.</returns>
    public Future<TResult>[] Map<T, TResult>(Func<T, TResult> function, IEnumerable<Future<T>> futures, SubmitOptions? options = null) =>
        MapCore<TResult>(function, options, futures.Select(static x => new object?[] { x }));

    /// <summary>Submits one async task per future, each receiving that future's result.</summary>
    /// <typeparam name="T">The futures' result type.</typeparam>
    /// <typeparam name="TResult">Result type.</typeparam>
    /// <param name="function">What each task runs.</param>
    /// <param name="futures">The futures.</param>
    /// <param name="options">Options applied to every task.</param>
    /// <returns>One future per input future, in order.</returns>
    public Future<TResult>[] Map<T, TResult>(Func<T, Task<TResult>> function, IEnumerable<Future<T>> futures, SubmitOptions? options = null) =>
        MapCore<TResult>(function, options, futures.Select(static x => new object?[] { x }));

    /// <summary>Submits one task per pair of items, taken from both sequences in step (like Python's <c>map(f, xs, ys)</c>).</summary>
    /// <typeparam name="T1">First item type.</typeparam>
    /// <typeparam name="T2">Second item type.</typeparam>
    /// <typeparam name="TResult">Result type.</typeparam>
    /// <param name="function">What each task runs.</param>
    /// <param name="items1">First sequence.</param>
    /// <param name="items2">Second sequence.</param>
    /// <param name="options">Options applied to every task.</param>
    /// <returns>One future per pair, in order; as many as the shorter sequence.</returns>
    public Future<TResult>[] Map<T1, T2, TResult>(Func<T1, T2, TResult> function, IEnumerable<T1> items1, IEnumerable<T2> items2, SubmitOptions? options = null) =>
        MapCore<TResult>(function, options, items1.Zip(items2, static (a, b) => new object?[] { a, b }));

    /// <summary>Submits one task per triple of items, taken from the three sequences in step.</summary>
    /// <typeparam name="T1">First item type.</typeparam>
    /// <typeparam name="T2">Second item type.</typeparam>
    /// <typeparam name="T3">Third item type.</typeparam>
    /// <typeparam name="TResult">Result type.</typeparam>
    /// <param name="function">What each task runs.</param>
    /// <param name="items1">First sequence.</param>
    /// <param name="items2">Second sequence.</param>
    /// <param name="items3">Third sequence.</param>
    /// <param name="options">Options applied to every task.</param>
    /// <returns>One future per triple, in order; as many as the shortest sequence.</returns>
    public Future<TResult>[] Map<T1, T2, T3, TResult>(Func<T1, T2, T3, TResult> function, IEnumerable<T1> items1, IEnumerable<T2> items2, IEnumerable<T3> items3, SubmitOptions? options = null) =>
        MapCore<TResult>(function, options, items1.Zip(items2, items3).Select(static t => new object?[] { t.First, t.Second, t.Third }));

    private Future<TResult>[] MapCore<TResult>(Delegate function, SubmitOptions? options, IEnumerable<object?[]> calls)
    {
        ArgumentNullException.ThrowIfNull(function);
        options ??= SubmitOptions.Default;
        CheckOptions(options);
        var prefix = options.Key ?? KeyTokenizer.Prefix(function);
        var perTask = options with { Key = null };
        var results = new List<Future<TResult>>();
        foreach (var args in calls)
        {
            var run = CreateRunSpec(function, args);
            var key = (perTask.Pure ? KeyTokenizer.Key(prefix, function, args) : null) ?? KeyTokenizer.RandomKey(prefix);
            results.Add(Enqueue<TResult>(key, run, perTask));
        }

        return [.. results];
    }
}

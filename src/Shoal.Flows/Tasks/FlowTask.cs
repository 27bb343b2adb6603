using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Shoal.Flows;

/// <summary>What every task has: a name, options and the hash of its code.</summary>
public abstract class FlowTask
{
    private protected FlowTask(string name, FlowTaskOptions? options, Delegate code)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Options = options ?? FlowTaskOptions.Default;
        CodeHash = HashOf(code.Method);
    }

    /// <summary>The task's name (task runs are named after it).</summary>
    public string Name { get; }

    /// <summary>The task's options.</summary>
    public FlowTaskOptions Options { get; }

    /// <summary>A hash of the task's method (its IL and identity): part of every cache key, so changed code misses the cache.</summary>
    public string CodeHash { get; }

    /// <summary>A task of one input.</summary>
    /// <typeparam name="T">The input's type.</typeparam>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="name">The task's name.</param>
    /// <param name="function">What it computes.</param>
    /// <param name="options">Retries, timeout, caching, ...</param>
    /// <returns>The task.</returns>
    public static FlowTask<T, TResult> Create<T, TResult>(string name, Func<T, TResult> function, FlowTaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new(name, function, null, options);
    }

    /// <summary>A task of one input that takes the run's cancellation token (cancelled at the timeout or when the flow is cancelled).</summary>
    /// <typeparam name="T">The input's type.</typeparam>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="name">The task's name.</param>
    /// <param name="function">What it computes.</param>
    /// <param name="options">Retries, timeout, caching, ...</param>
    /// <returns>The task.</returns>
    public static FlowTask<T, TResult> Create<T, TResult>(string name, Func<T, CancellationToken, Task<TResult>> function, FlowTaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new(name, null, function, options);
    }

    /// <summary>A task of two inputs.</summary>
    /// <typeparam name="T1">The first input's type.</typeparam>
    /// <typeparam name="T2">The second input's type.</typeparam>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="name">The task's name.</param>
    /// <param name="function">What it computes.</param>
    /// <param name="options">Retries, timeout, caching, ...</param>
    /// <returns>The task.</returns>
    public static FlowTask<T1, T2, TResult> Create<T1, T2, TResult>(string name, Func<T1, T2, TResult> function, FlowTaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new(name, function, null, options);
    }

    /// <summary>A task of two inputs that takes the run's cancellation token.</summary>
    /// <typeparam name="T1">The first input's type.</typeparam>
    /// <typeparam name="T2">The second input's type.</typeparam>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="name">The task's name.</param>
    /// <param name="function">What it computes.</param>
    /// <param name="options">Retries, timeout, caching, ...</param>
    /// <returns>The task.</returns>
    public static FlowTask<T1, T2, TResult> Create<T1, T2, TResult>(string name, Func<T1, T2, CancellationToken, Task<TResult>> function, FlowTaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new(name, null, function, options);
    }

    private static string HashOf(MethodInfo method)
    {
        var identity = $"{method.DeclaringType?.FullName}::{method}";
        var il = method.GetMethodBody()?.GetILAsByteArray() ?? [];
        var bytes = Encoding.UTF8.GetBytes(identity).Concat(il).ToArray();
        return Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
    }
}

/// <summary>A task of one input: submit it, or map it over a sequence, from inside a flow.</summary>
/// <typeparam name="T">The input's type.</typeparam>
/// <typeparam name="TResult">The result's type.</typeparam>
public sealed class FlowTask<T, TResult> : FlowTask
{
    // The user's own delegate, never wrapped in another closure: the code shipped to worker
    // processes is found from the delegates a task captures, one level deep.
    internal FlowTask(string name, Func<T, TResult>? sync, Func<T, CancellationToken, Task<TResult>>? async, FlowTaskOptions? options)
        : base(name, options, (Delegate?)sync ?? async!) => (Sync, Async) = (sync, async);

    internal Func<T, TResult>? Sync { get; }

    internal Func<T, CancellationToken, Task<TResult>>? Async { get; }

    /// <summary>What the cluster runs: the function inside its timeout, one delegate for every run (checked once per submission, shipped once).</summary>
    internal Func<T, Task<TResult>> Runner => runner ??= CreateRunner();

    private Func<T, Task<TResult>>? runner;

    private Func<T, Task<TResult>> CreateRunner()
    {
        var (sync, async) = (Sync, Async);
        var (timeout, grace) = (Options.Timeout?.Ticks ?? 0, Options.TimeoutGrace.Ticks);
        if (sync is not null) return x => TaskBody.RunAsync(_ => Task.FromResult(sync(x)), timeout, grace);
        return x => TaskBody.RunAsync(ct => async!(x, ct), timeout, grace);
    }

    /// <summary>
    /// A run whose input is made on the worker (a reduce's array). The task's own delegate is
    /// captured directly, not through <see cref="Runner"/>: Shoal ships the code of the delegates
    /// a closure holds, not of those their closures hold in turn.
    /// </summary>
    internal Func<Task<TResult>> Bind(Func<T> input)
    {
        var (sync, async) = (Sync, Async);
        var (timeout, grace) = (Options.Timeout?.Ticks ?? 0, Options.TimeoutGrace.Ticks);
        if (sync is not null) return () => TaskBody.RunAsync(_ => Task.FromResult(sync(input())), timeout, grace);
        return () => TaskBody.RunAsync(ct => async!(input(), ct), timeout, grace);
    }

    /// <summary>Submits one run of the task in the current flow run.</summary>
    /// <param name="input">A value or an upstream task run (a mapped run converts to an array: a reduce).</param>
    /// <param name="waitFor">Upstream runs this one waits for without taking their results (for triggers).</param>
    /// <returns>The task run, awaitable for its result.</returns>
    public TaskRun<TResult> Submit(In<T> input, params TaskRun[] waitFor) =>
        FlowRun.Current.Submit(this, input, null, waitFor);

    /// <summary>One run per item (Prefect's <c>.map</c>).</summary>
    /// <param name="items">The items.</param>
    /// <returns>The mapped run, one task run per item, in order.</returns>
    public MappedRun<TResult> Map(IEnumerable<T> items)
    {
        var run = FlowRun.Current;
        var index = 0;
        return new([.. items.Select(item => run.Submit(this, item, index++, []))]);
    }

    /// <summary>One run per run of an upstream map; run n takes run n's result as soon as it is done (depth-first pipelines).</summary>
    /// <param name="upstream">The upstream map.</param>
    /// <returns>The mapped run, in order.</returns>
    public MappedRun<TResult> Map(MappedRun<T> upstream)
    {
        var run = FlowRun.Current;
        return new([.. upstream.Runs.Select((item, i) => run.Submit(this, item, i, []))]);
    }

    /// <summary>
    /// One run per item for long sequences (a million items): at most <paramref name="window"/>
    /// runs are in the cluster at once, results come back in order as each is ready and nothing
    /// of a run is kept once its result is yielded, so client and scheduler memory stay bounded.
    /// </summary>
    /// <param name="items">The items, read lazily.</param>
    /// <param name="window">How many runs may be submitted and not yet consumed.</param>
    /// <param name="cancellationToken">Stops the map.</param>
    /// <returns>The results, in the items' order.</returns>
    public IAsyncEnumerable<TResult> MapStream(IEnumerable<T> items, int window = 4096, CancellationToken cancellationToken = default) =>
        FlowRun.Current.MapStream(this, items, window, cancellationToken);
}

/// <summary>A task of two inputs: submit it, or map it over two sequences zipped (<see cref="Flow.Unmapped{T}(T)"/> for a constant).</summary>
/// <typeparam name="T1">The first input's type.</typeparam>
/// <typeparam name="T2">The second input's type.</typeparam>
/// <typeparam name="TResult">The result's type.</typeparam>
public sealed class FlowTask<T1, T2, TResult> : FlowTask
{
    internal FlowTask(string name, Func<T1, T2, TResult>? sync, Func<T1, T2, CancellationToken, Task<TResult>>? async, FlowTaskOptions? options)
        : base(name, options, (Delegate?)sync ?? async!) => (Sync, Async) = (sync, async);

    internal Func<T1, T2, TResult>? Sync { get; }

    internal Func<T1, T2, CancellationToken, Task<TResult>>? Async { get; }

    /// <summary>What the cluster runs: the function inside its timeout, one delegate for every run.</summary>
    internal Func<T1, T2, Task<TResult>> Runner => runner ??= CreateRunner();

    private Func<T1, T2, Task<TResult>>? runner;

    private Func<T1, T2, Task<TResult>> CreateRunner()
    {
        var (sync, async) = (Sync, Async);
        var (timeout, grace) = (Options.Timeout?.Ticks ?? 0, Options.TimeoutGrace.Ticks);
        if (sync is not null) return (x, y) => TaskBody.RunAsync(_ => Task.FromResult(sync(x, y)), timeout, grace);
        return (x, y) => TaskBody.RunAsync(ct => async!(x, y, ct), timeout, grace);
    }

    /// <summary>A run whose inputs are made on the worker (see <see cref="FlowTask{T, TResult}.Bind"/>).</summary>
    internal Func<Task<TResult>> Bind(Func<T1> input1, Func<T2> input2)
    {
        var (sync, async) = (Sync, Async);
        var (timeout, grace) = (Options.Timeout?.Ticks ?? 0, Options.TimeoutGrace.Ticks);
        if (sync is not null) return () => TaskBody.RunAsync(_ => Task.FromResult(sync(input1(), input2())), timeout, grace);
        return () => TaskBody.RunAsync(ct => async!(input1(), input2(), ct), timeout, grace);
    }

    /// <summary>Submits one run of the task in the current flow run.</summary>
    /// <param name="input1">The first input.</param>
    /// <param name="input2">The second input.</param>
    /// <param name="waitFor">Upstream runs this one waits for without taking their results.</param>
    /// <returns>The task run.</returns>
    public TaskRun<TResult> Submit(In<T1> input1, In<T2> input2, params TaskRun[] waitFor) =>
        FlowRun.Current.Submit(this, input1, input2, null, waitFor);

    /// <summary>One run per pair of items, the sequences zipped to the shortest; an unmapped input is the same for every run.</summary>
    /// <param name="items1">The first inputs.</param>
    /// <param name="items2">The second inputs.</param>
    /// <returns>The mapped run, in order.</returns>
    public MappedRun<TResult> Map(MapInput<T1> items1, MapInput<T2> items2)
    {
        var run = FlowRun.Current;
        var count = MapInput.Width(items1.Count, items2.Count);
        var runs = new TaskRun<TResult>[count];
        for (var i = 0; i < count; i++) runs[i] = run.Submit(this, items1.At(i), items2.At(i), i, []);
        return new(runs);
    }
}

using System.Runtime.CompilerServices;

namespace Shoal.Flows;

/// <summary>A run of a task in a flow run: its id, name and state; awaiting a <see cref="TaskRun{T}"/> gives its result.</summary>
public abstract class TaskRun
{
    private readonly TaskCompletionSource<RunState> settled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private protected TaskRun(Guid id, string name) => (Id, Name) = (id, name);

    /// <summary>The run's id.</summary>
    public Guid Id { get; }

    /// <summary>The run's name (the task's name and the map index).</summary>
    public string Name { get; }

    /// <summary>The run's state now.</summary>
    public RunState State { get; private set; } = RunState.Pending;

    /// <summary>Why it did not succeed, when it did not.</summary>
    public string? Error { get; private set; }

    /// <summary>The error's cause (a remote exception type, a timeout's kind, ...).</summary>
    public string? Cause { get; private set; }

    /// <summary>Completes with the final state; never throws.</summary>
    public Task<RunState> Settled => settled.Task;

    internal void SetState(RunState state, string? error = null, string? cause = null)
    {
        State = state;
        Error = error;
        Cause = cause;
        if (state.IsFinal()) settled.TrySetResult(state);
    }

    /// <summary>How far from the flow's inputs (upstream depth + 1): later stages run first, so pipelines go depth-first.</summary>
    internal int Depth { get; set; }

    internal abstract void ReleaseFuture();

    internal abstract Task<object?> BoxedResultAsync(CancellationToken cancellationToken);
}

/// <summary>A run of a task with a result of type <typeparamref name="T"/>.</summary>
/// <typeparam name="T">The result's type.</typeparam>
public sealed class TaskRun<T> : TaskRun
{
    internal TaskRun(Guid id, string name) : base(id, name) { }

    /// <summary>The cluster's future of the result while it lives there (Completed runs).</summary>
    internal Future<T>? Future { get; set; }

    /// <summary>The result when it is here (Cached runs, persisted results).</summary>
    internal (bool Known, T Value) Local { get; set; }

    /// <summary>The run's result; throws <see cref="TaskRunFailedException"/> when it did not succeed.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The result.</returns>
    public async Task<T> ResultAsync(CancellationToken cancellationToken = default)
    {
        var state = await Settled.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!state.IsSuccess()) throw new TaskRunFailedException(Name, state, Error, Cause);
        if (Local.Known) return Local.Value;
        return await Future!.ResultAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Awaits the result.</summary>
    /// <returns>The awaiter.</returns>
    public TaskAwaiter<T> GetAwaiter() => ResultAsync().GetAwaiter();

    internal Arg<T> Argument() => Local.Known ? Local.Value : Future!;

    internal Func<T> Provider() => Local.Known ? Providers.Constant(Local.Value) : Providers.FromFuture(Future!);

    internal override async Task<object?> BoxedResultAsync(CancellationToken cancellationToken) => await ResultAsync(cancellationToken).ConfigureAwait(false);

    internal override void ReleaseFuture()
    {
        Future?.Dispose();
    }
}

using System.Runtime.CompilerServices;
using Shoal.ClientSide;
using Shoal.Serialization;

namespace Shoal;

/// <summary>
/// A handle on the result of a task that runs on the cluster. Futures passed as arguments to
/// other tasks (directly, in arrays or lists, or captured by a lambda) are dependencies.
/// The client keeps the result alive on the cluster while any future for its key is alive;
/// dispose a future (or let it be collected) to release it.
/// </summary>
public abstract class Future : IFutureReference, IDisposable
{
    private readonly ClientKeyEntry? _entry;
    private int _released;

    private protected Future(string key, ClientKeyEntry? entry)
    {
        Key = key;
        _entry = entry;
    }

    /// <summary>The task's key. Identical submissions share a key.</summary>
    public string Key { get; }

    /// <summary>The type of the result.</summary>
    public abstract Type ValueType { get; }

    /// <summary>Where the task stands, as the client last heard.</summary>
    public FutureStatus Status => _entry?.Status ?? FutureStatus.Pending;

    /// <summary>True once the task finished, failed or was cancelled.</summary>
    public bool IsDone => Status != FutureStatus.Pending;

    internal ClientKeyEntry? Entry => _entry;

    /// <summary>
    /// Why the future was cancelled (e.g. "cancelled: the cluster was restarted (Client.RestartAsync)"), or null when it
    /// was not. Awaiting a cancelled future throws a <see cref="TaskCanceledException"/>, whose message does not carry it.
    /// </summary>
    public string? CancelReason => Status == FutureStatus.Cancelled ? _entry?.CancelReason : null;

    /// <summary>
    /// Waits for the task and returns what it threw, without throwing it (Dask's <c>exception()</c>): a
    /// <see cref="TaskException"/> with the remote type, message and stack trace, or null when it succeeded.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The task's exception, or null.</returns>
    /// <exception cref="OperationCanceledException">The future was cancelled (or the scheduler connection lost).</exception>
    public async Task<TaskException?> ExceptionAsync(CancellationToken cancellationToken = default)
    {
        var entry = BoundEntry();
        while (!entry.Done.IsCompleted) await entry.Done.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (entry.Status != FutureStatus.Error) entry.ThrowIfNotFinished();
        return entry.Status == FutureStatus.Error ? TaskException.FromRemote(entry.Error!, Key, entry.Original) : null;
    }

    /// <summary>
    /// Calls <paramref name="callback"/> with this future once its task finished, failed or was cancelled (at once, on
    /// the thread pool, if it already is): Dask's <c>add_done_callback</c>. An exception from the callback is not
    /// caught by Shoal; catch it in the callback.
    /// </summary>
    /// <param name="callback">What to call.</param>
    public void OnCompleted(Action<Future> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        BoundEntry().Done.ContinueWith(static (_, state) =>
        {
            var (future, action) = ((Future, Action<Future>))state!;
            action(future);
        }, (this, callback), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Runs this future's task again if it erred (see <see cref="Client.RetryAsync(IEnumerable{Future}, CancellationToken)"/>); await the future for the outcome.</summary>
    /// <param name="cancellationToken">Stops waiting for the request to be sent.</param>
    /// <returns>Completes when the scheduler was asked.</returns>
    public Task RetryAsync(CancellationToken cancellationToken = default) => BoundEntry().Owner.RetryAsync([this], cancellationToken);

    /// <summary>
    /// Runs this future's task again if it erred, allowing it <paramref name="retries"/> more failures before it errs
    /// (see <see cref="Client.RetryAsync(IEnumerable{Future}, int, CancellationToken)"/>); await the future for the outcome.
    /// </summary>
    /// <param name="retries">How many more failures the task may have before it errs.</param>
    /// <param name="cancellationToken">Stops waiting for the request to be sent.</param>
    /// <returns>Completes when the scheduler was asked.</returns>
    public Task RetryAsync(int retries, CancellationToken cancellationToken = default) => BoundEntry().Owner.RetryAsync([this], retries, cancellationToken);

    private ClientKeyEntry BoundEntry() => _entry ?? throw new InvalidOperationException(
        $"Future '{Key}' is not bound to a client here (it was made on a worker or deserialized).");

    /// <summary>Releases this handle; the result is forgotten once no handle holds it.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the result on collection, like Dask's futures going out of scope.</summary>
    ~Future() => Release();

    private void Release()
    {
        if (_entry is null || Interlocked.Exchange(ref _released, 1) != 0) return;
        _entry.Owner.ReleaseReference(_entry);
    }

    /// <inheritdoc />
    public override string ToString() => $"<Future: {Status.ToString().ToLowerInvariant()}, key: {Key}>";
}

/// <summary>A handle on the result of a task, of type <typeparamref name="T"/>. Awaitable.</summary>
/// <typeparam name="T">The result type.</typeparam>
public sealed class Future<T> : Future
{
    internal Future(string key, ClientKeyEntry? entry) : base(key, entry) { }

    /// <inheritdoc />
    public override Type ValueType => typeof(T);

    /// <summary>Waits for the result, fetching it from the worker that holds it.</summary>
    public async Task<T> ResultAsync(CancellationToken cancellationToken = default)
    {
        if (Entry is null)
        {
            return ResolveInTask();
        }

        var value = await Entry.Owner.GetValueAsync(Entry, cancellationToken).ConfigureAwait(false);
        return (T)value!;
    }

    /// <summary>
    /// The result, blocking until it is there. Inside a task on a worker, a future the task
    /// depends on (captured by its lambda) returns the dependency's value at once.
    /// </summary>
    public T Result
    {
        get
        {
            if (DependencyScope.TryGetValue(Key, out var value)) return (T)value!;
            if (Entry is null) return ResolveInTask();
            return ResultAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>Makes <c>await future</c> work.</summary>
    public TaskAwaiter<T> GetAwaiter()
    {
        if (Entry is null || DependencyScope.TryGetValue(Key, out _)) return Task.FromResult(Result).GetAwaiter();
        return ResultAsync().GetAwaiter();
    }

    /// <summary>
    /// Runs <paramref name="continuation"/> with this future once its task finished, failed or was cancelled, and
    /// returns what it returns (as <see cref="Task.ContinueWith(Action{Task})"/> for tasks).
    /// </summary>
    /// <typeparam name="TNext">What the continuation returns.</typeparam>
    /// <param name="continuation">What to run; await the future inside it to get the result or the exception.</param>
    /// <param name="cancellationToken">Stops waiting for the future (the continuation then does not run).</param>
    /// <returns>The continuation's result.</returns>
    public async Task<TNext> ContinueWith<TNext>(Func<Future<T>, Task<TNext>> continuation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        if (Entry is null) throw new InvalidOperationException($"Future '{Key}' is not bound to a client here.");
        while (!Entry.Done.IsCompleted) await Entry.Done.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await continuation(this).ConfigureAwait(false);
    }

    private T ResolveInTask()
    {
        if (DependencyScope.TryGetValue(Key, out var value)) return (T)value!;
        throw new InvalidOperationException(
            $"Future '{Key}' is not bound to a client here, and it is not a dependency of the running task. " +
            "Pass futures to the task as arguments or capture them in its lambda so that Shoal can resolve them.");
    }
}

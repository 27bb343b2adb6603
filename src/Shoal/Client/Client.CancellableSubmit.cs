namespace Shoal;

// Tasks that take a CancellationToken: the worker passes the task's own token, tripped when the task is no longer
// wanted (CancelAsync, its futures released, its client gone) or its worker stops. No token travels from here.
public sealed partial class Client
{
    /// <summary>Submits a task that takes the task's cancellation token.</summary>
    /// <typeparam name="TResult">The task's result type.</typeparam>
    /// <param name="function">What the task runs; its token is tripped on the worker when the task is cancelled.</param>
    /// <param name="options">Key, priority, retries, resources, worker restrictions, purity.</param>
    /// <returns>A future for the task's result.</returns>
    public Future<TResult> Submit<TResult>(Func<CancellationToken, TResult> function, SubmitOptions? options = null) =>
        SubmitCore<TResult>(function, [null], options);

    /// <summary>Submits an asynchronous task that takes the task's cancellation token.</summary>
    /// <typeparam name="TResult">The task's result type.</typeparam>
    /// <param name="function">What the task runs; its token is tripped on the worker when the task is cancelled.</param>
    /// <param name="options">Key, priority, retries, resources, worker restrictions, purity.</param>
    /// <returns>A future for the task's result.</returns>
    public Future<TResult> Submit<TResult>(Func<CancellationToken, Task<TResult>> function, SubmitOptions? options = null) =>
        SubmitCore<TResult>(function, [null], options);

    /// <summary>Submits a task of one value that takes the task's cancellation token.</summary>
    /// <typeparam name="T1">Type of argument 1.</typeparam>
    /// <typeparam name="TResult">The task's result type.</typeparam>
    /// <param name="function">What the task runs; its token is tripped on the worker when the task is cancelled.</param>
    /// <param name="arg1">Argument 1: a value.</param>
    /// <param name="options">Key, priority, retries, resources, worker restrictions, purity.</param>
    /// <returns>A future for the task's result.</returns>
    public Future<TResult> Submit<T1, TResult>(Func<T1, CancellationToken, TResult> function, T1 arg1, SubmitOptions? options = null) =>
        SubmitCore<TResult>(function, [arg1, null], options);

    /// <summary>Submits an asynchronous task of one value that takes the task's cancellation token.</summary>
    /// <typeparam name="T1">Type of argument 1.</typeparam>
    /// <typeparam name="TResult">The task's result type.</typeparam>
    /// <param name="function">What the task runs; its token is tripped on the worker when the task is cancelled.</param>
    /// <param name="arg1">Argument 1: a value.</param>
    /// <param name="options">Key, priority, retries, resources, worker restrictions, purity.</param>
    /// <returns>A future for the task's result.</returns>
    public Future<TResult> Submit<T1, TResult>(Func<T1, CancellationToken, Task<TResult>> function, T1 arg1, SubmitOptions? options = null) =>
        SubmitCore<TResult>(function, [arg1, null], options);
}

namespace Shoal.Execution;

/// <summary>
/// One execution of a task on this worker, as the task's own code sees it through <see cref="WorkerContext"/>: which
/// worker runs it, the token that cancellation trips, and the slot it may give up while it waits on other tasks.
/// </summary>
internal sealed class RunningTask : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly WorkerServer _worker;
    private readonly object _gate = new();
    private TaskCompletionSource? _rejoin;
    private bool _seceded;

    public RunningTask(WorkerServer worker, string key)
    {
        _worker = worker;
        Key = key;
    }

    /// <summary>The task's key.</summary>
    public string Key { get; }

    /// <summary>The worker that runs it.</summary>
    public WorkerServer Worker => _worker;

    /// <summary>Tripped when the task is no longer wanted (cancelled, released, its client gone) or the worker stops.</summary>
    public CancellationToken Cancellation => _cancel.Token;

    /// <summary>Reads a value this worker holds, decoded in the task's code context (set once its code is resolved).</summary>
    public Func<string, object?>? LocalValue { get; set; }

    /// <summary>Whether the task holds no slot now.</summary>
    public bool IsSeceded
    {
        get { lock (_gate) return _seceded; }
    }

    /// <summary>Gives up the task's slot; false when it had done so already.</summary>
    public bool Secede()
    {
        lock (_gate)
        {
            if (_seceded) return false;
            _seceded = true;
        }

        _worker.PostSecede(Key);
        return true;
    }

    /// <summary>Takes a slot back, waiting until one is free; at once when the task did not secede.</summary>
    public Task RejoinAsync()
    {
        TaskCompletionSource granted;
        lock (_gate)
        {
            if (!_seceded) return Task.CompletedTask;
            if (_rejoin is { } pending) return pending.Task;
            _rejoin = granted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _worker.PostRejoin(Key);
        return granted.Task;
    }

    /// <summary>The worker gave the task a slot again.</summary>
    internal void Granted()
    {
        TaskCompletionSource? granted;
        lock (_gate)
        {
            granted = _rejoin;
            _rejoin = null;
            _seceded = false;
        }

        granted?.TrySetResult();
    }

    /// <summary>Trips the task's token (once; later calls do nothing).</summary>
    internal void Cancel()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended meanwhile.
        }
        catch (AggregateException)
        {
            // A callback the task registered threw: the token is tripped all the same, and the task's outcome reports.
        }
    }

    /// <summary>The execution ended: a rejoin still waited for is let go (nothing more to wait for).</summary>
    public void Dispose()
    {
        Granted();
        _cancel.Dispose();
    }
}

using Shoal.Protocol.Messages;

namespace Shoal.ClientSide;

/// <summary>
/// The client's record of one key: how many futures hold it, where it stands, where its result
/// lives, and the result once fetched. One entry per key however many futures share it.
/// </summary>
internal sealed class ClientKeyEntry
{
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private volatile FutureStatus _status;

    public ClientKeyEntry(Client owner, string key, Type valueType)
    {
        Owner = owner;
        Key = key;
        ValueType = valueType;
    }

    public Client Owner { get; }

    public string Key { get; }

    public Type ValueType { get; }

    /// <summary>Futures alive for this key (guarded by the client's key table lock).</summary>
    public int RefCount;

    public FutureStatus Status => _status;

    /// <summary>Completes when the task finished, failed or was cancelled.</summary>
    public Task Done => _done.Task;

    /// <summary>Completes when the scheduler confirmed a cancellation of this key.</summary>
    public Task Cancelled => _cancelled.Task;

    public string[] Workers { get; private set; } = [];

    public RemoteError? Error { get; private set; }

    public string? CancelReason { get; private set; }

    /// <summary>The original exception, when the task ran in this process.</summary>
    public Exception? Original { get; private set; }

    /// <summary>The fetched result (valid when <see cref="HasValue"/>).</summary>
    public object? Value { get; private set; }

    public bool HasValue { get; private set; }

    public void SetFinished(string[] workers)
    {
        lock (_gate)
        {
            Workers = workers;
            _status = FutureStatus.Finished;
            _done.TrySetResult();
        }
    }

    public void SetErred(RemoteError error, Exception? original)
    {
        Error = error;
        Original = original;
        _status = FutureStatus.Error;
        _done.TrySetResult();
    }

    public void SetCancelled(string reason)
    {
        MarkCancelled(reason);
        _cancelled.TrySetResult();
    }

    /// <summary>
    /// Cancelled by this client, before the scheduler confirmed it: awaiting the key throws at once,
    /// and a submission of the same key makes a new entry (<see cref="Cancelled"/> completes on the confirmation).
    /// </summary>
    public void MarkCancelled(string reason)
    {
        lock (_gate)
        {
            if (_status == FutureStatus.Cancelled) return;
            CancelReason = reason;
            _status = FutureStatus.Cancelled;
            _done.TrySetResult();
        }
    }

    /// <summary>The scheduler confirmed a cancellation that <see cref="MarkCancelled"/> already showed.</summary>
    public void ConfirmCancelled() => _cancelled.TrySetResult();

    /// <summary>The connection to the scheduler was lost: nothing pending will be answered.</summary>
    public void SetSchedulerLost(SchedulerConnectionLostException error)
    {
        lock (_gate)
        {
            if (_done.Task.IsCompleted && _status != FutureStatus.Pending) return;
            LostScheduler = error;
            CancelReason = error.Message;
            _status = FutureStatus.Cancelled;
            _done.TrySetResult();
        }

        _cancelled.TrySetResult();
    }

    /// <summary>Set when the key was cancelled because the scheduler connection was lost.</summary>
    public SchedulerConnectionLostException? LostScheduler { get; private set; }

    /// <summary>
    /// Every worker holding the result died; the scheduler recomputes it. The key is pending
    /// again and <see cref="Done"/> completes anew when it is back.
    /// </summary>
    public void SetLost() => MarkLost(Workers);

    /// <summary>Marks the key lost if <paramref name="staleWorkers"/> are still the holders on record (not if a newer result arrived meanwhile).</summary>
    public void MarkLost(string[] staleWorkers)
    {
        lock (_gate)
        {
            if (_status != FutureStatus.Finished || HasValue || !ReferenceEquals(Workers, staleWorkers)) return;
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Workers = [];
            _status = FutureStatus.Pending;
        }
    }

    /// <summary>An erred key is asked to run again: pending anew until the scheduler says how the new run went. False when it had not erred.</summary>
    public bool ResetForRetry()
    {
        lock (_gate)
        {
            if (_status != FutureStatus.Error) return false;
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Error = null;
            Original = null;
            _status = FutureStatus.Pending;
            return true;
        }
    }

    public void SetValue(object? value)
    {
        Value = value;
        HasValue = true;
    }

    /// <summary>Throws what awaiting this key should throw when it did not finish.</summary>
    public void ThrowIfNotFinished()
    {
        switch (_status)
        {
            case FutureStatus.Error:
                throw TaskException.FromRemote(Error!, Key, Original);
            case FutureStatus.Cancelled when LostScheduler is { } lost:
                throw new SchedulerConnectionLostException(lost.SchedulerAddress, lost.InnerException);
            case FutureStatus.Cancelled:
                throw new OperationCanceledException($"Task '{Key}' was cancelled: {CancelReason}");
        }
    }
}

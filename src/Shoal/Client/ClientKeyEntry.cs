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
        CancelReason = reason;
        _status = FutureStatus.Cancelled;
        _done.TrySetResult();
        _cancelled.TrySetResult();
    }

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
            case FutureStatus.Cancelled:
                throw new OperationCanceledException($"Task '{Key}' was cancelled: {CancelReason}");
        }
    }
}

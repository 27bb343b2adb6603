using Shoal.Protocol.Messages;

namespace Shoal;

/// <summary>
/// The client's record of one key: how many futures hold it, where it stands, where its result
/// lives, and the result once fetched. One entry per key however many futures share it.
/// </summary>
internal sealed class ClientKeyEntry
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
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
        Workers = workers;
        _status = FutureStatus.Finished;
        _done.TrySetResult();
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
                throw RemoteErrors.ToException(Error!, Key, Original);
            case FutureStatus.Cancelled:
                throw new OperationCanceledException($"Task '{Key}' was cancelled: {CancelReason}");
        }
    }
}

namespace Shoal.Execution;

/// <summary>
/// Holds the client a worker's tasks share (<see cref="WorkerContext.GetClientAsync"/>): made on first use by the
/// factory the caller gives, the same one for every later task, disposed with the worker. It holds it as an
/// <see cref="IAsyncDisposable"/> because the worker's layer does not know the client type (the API does).
/// </summary>
internal sealed class WorkerClientSlot : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IAsyncDisposable? _client;
    private bool _disposed;

    /// <summary>The shared client, made by <paramref name="connect"/> when there is none yet.</summary>
    public async Task<IAsyncDisposable> GetAsync(Func<CancellationToken, Task<IAsyncDisposable>> connect, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _client ??= await connect(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Disposes the client, if one was made.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            if (_client is not null) await _client.DisposeAsync().ConfigureAwait(false);
            _client = null;
        }
        finally
        {
            _gate.Release();
        }
    }
}

using System.Collections.Concurrent;

namespace Shoal.Cloud;

/// <summary>
/// Reads the states of many cloud objects (tasks, VMs) in one call per interval, not one call per
/// object, and tells whoever waits for one to be up or to be gone.
/// </summary>
/// <typeparam name="TState">What the cloud says of one object.</typeparam>
internal sealed class StateWatcher<TState> : IAsyncDisposable
    where TState : class
{
    private readonly Func<IReadOnlyList<string>, CancellationToken, Task<IReadOnlyList<(string Id, TState State)>>> _read;
    private readonly Func<TState, bool> _up;
    private readonly Func<TState, bool> _gone;
    private readonly Func<string, TState> _missing;
    private readonly TimeSpan _interval;
    private readonly ConcurrentDictionary<string, Watch> _watched = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Task _loop;

    /// <param name="read">Reads the states of the objects named (those it does not return are left as they were).</param>
    /// <param name="up">Whether a state counts as started (or later).</param>
    /// <param name="gone">Whether a state is final: stopped, deleted.</param>
    /// <param name="missing">The state of an object whose whole container (cluster) is gone, by reason.</param>
    /// <param name="interval">Between two readings.</param>
    public StateWatcher(Func<IReadOnlyList<string>, CancellationToken, Task<IReadOnlyList<(string Id, TState State)>>> read,
        Func<TState, bool> up, Func<TState, bool> gone, Func<string, TState> missing, TimeSpan interval)
    {
        _read = read;
        _up = up;
        _gone = gone;
        _missing = missing;
        _interval = interval;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>What the cloud last said of the object; null before the first reading.</summary>
    public TState? LastKnown(string id) => _watched.TryGetValue(id, out var watch) ? watch.Last : null;

    /// <summary>Completes with the object's state once it is up or gone.</summary>
    public Task<TState> UpOrGoneAsync(string id, CancellationToken ct) => WatchOf(id).Up.Task.WaitAsync(ct);

    /// <summary>Completes once the object is gone.</summary>
    public Task<TState> GoneAsync(string id, CancellationToken ct) => WatchOf(id).Gone.Task.WaitAsync(ct);

    /// <summary>Marks every object watched as gone, for <paramref name="reason"/> (their cluster was deleted).</summary>
    public void AllGone(string reason)
    {
        foreach (var watch in _watched.Values)
        {
            var gone = _missing(reason);
            watch.Up.TrySetResult(gone);
            watch.Gone.TrySetResult(gone);
        }
    }

    private Watch WatchOf(string id)
    {
        var watch = _watched.GetOrAdd(id, _ => new Watch());
        _wake.Release();
        return watch;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // Wait for the interval, or for a first object to watch when none is.
                if (_watched.Values.All(w => w.Gone.Task.IsCompleted)) await _wake.WaitAsync(_stop.Token).ConfigureAwait(false);
                await Task.Delay(_interval, _stop.Token).ConfigureAwait(false);
                var open = _watched.Where(p => !p.Value.Gone.Task.IsCompleted).Select(p => p.Key).ToList();
                if (open.Count == 0) continue;
                foreach (var (id, state) in await _read(open, _stop.Token).ConfigureAwait(false))
                {
                    if (!_watched.TryGetValue(id, out var watch)) continue;
                    watch.Last = state;
                    if (_up(state) || _gone(state)) watch.Up.TrySetResult(state);
                    if (_gone(state)) watch.Gone.TrySetResult(state);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (CloudApiException e) when (e.IsNotFound)
            {
                AllGone(e.Message);
            }
            catch (CloudApiException)
            {
                // Retries have run out for this reading (throttled long): the next interval reads again.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        foreach (var watch in _watched.Values)
        {
            watch.Up.TrySetCanceled();
            watch.Gone.TrySetCanceled();
        }
        _stop.Dispose();
        _wake.Dispose();
    }

    private sealed class Watch
    {
        public TaskCompletionSource<TState> Up { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<TState> Gone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TState? Last { get; set; }
    }
}

using System.Collections.Concurrent;

namespace Shoal.Cloud.Aws;

/// <summary>
/// Reads the states of a cluster's tasks in batches (one DescribeTasks call for up to 100 of them each
/// interval, not one call per task) and tells whoever waits for a task to run or to stop.
/// </summary>
internal sealed class EcsTaskWatcher : IAsyncDisposable
{
    private readonly EcsApi _ecs;
    private readonly string _cluster;
    private readonly TimeSpan _interval;
    private readonly ConcurrentDictionary<string, Watch> _watched = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Task _loop;

    public EcsTaskWatcher(EcsApi ecs, string cluster, TimeSpan interval)
    {
        _ecs = ecs;
        _cluster = cluster;
        _interval = interval;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>What ECS last said of the task; null before the first reading.</summary>
    public EcsTaskState? LastKnown(string task) => _watched.TryGetValue(task, out var watch) ? watch.Last : null;

    /// <summary>Completes with the task's state once it is RUNNING or has stopped (STOPPED, or MISSING).</summary>
    public Task<EcsTaskState> RunningOrStoppedAsync(string task, CancellationToken ct) => WatchOf(task).Running.Task.WaitAsync(ct);

    /// <summary>Completes once the task has stopped.</summary>
    public Task<EcsTaskState> StoppedAsync(string task, CancellationToken ct) => WatchOf(task).Stopped.Task.WaitAsync(ct);

    private Watch WatchOf(string task)
    {
        var watch = _watched.GetOrAdd(task, _ => new Watch());
        _wake.Release();
        return watch;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // Wait for the interval, or for a first task to watch when none is.
                if (_watched.Values.All(w => w.Stopped.Task.IsCompleted)) await _wake.WaitAsync(_stop.Token).ConfigureAwait(false);
                await Task.Delay(_interval, _stop.Token).ConfigureAwait(false);
                var open = _watched.Where(p => !p.Value.Stopped.Task.IsCompleted).Select(p => p.Key).ToList();
                if (open.Count == 0) continue;
                foreach (var state in await _ecs.DescribeTasksAsync(_cluster, open, _stop.Token).ConfigureAwait(false))
                {
                    if (!_watched.TryGetValue(state.Arn, out var watch)) continue;
                    watch.Last = state;
                    if (state.LastStatus is "RUNNING" or "DEACTIVATING" or "STOPPING" or "DEPROVISIONING" or "STOPPED" or "MISSING") watch.Running.TrySetResult(state);
                    if (state.LastStatus is "STOPPED" or "MISSING") watch.Stopped.TrySetResult(state);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (CloudApiException e) when (e.Code == "ClusterNotFoundException")
            {
                // The cluster is gone, and its tasks with it.
                foreach (var watch in _watched.Values)
                {
                    var gone = new EcsTaskState("", "MISSING", "the cluster is gone", null);
                    watch.Running.TrySetResult(gone);
                    watch.Stopped.TrySetResult(gone);
                }
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
            watch.Running.TrySetCanceled();
            watch.Stopped.TrySetCanceled();
        }
        _stop.Dispose();
        _wake.Dispose();
    }

    private sealed class Watch
    {
        public TaskCompletionSource<EcsTaskState> Running { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<EcsTaskState> Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EcsTaskState? Last { get; set; }
    }
}

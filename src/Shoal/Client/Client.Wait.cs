using Shoal.ClientSide;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// Waits until the futures are done as <paramref name="waitFor"/> says, without fetching any result (Dask's
    /// <c>wait</c>). A failed or cancelled future counts as done; look at <see cref="Future.Status"/> or await it.
    /// </summary>
    /// <typeparam name="TFuture">The futures' type.</typeparam>
    /// <param name="futures">This client's futures.</param>
    /// <param name="waitFor">All completed (the default), the first completed, or the first failure.</param>
    /// <param name="timeout">How long to wait at most; null waits as long as it takes.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The futures done and not done when the condition held.</returns>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>; the message counts what was done.</exception>
    public async Task<WaitResult<TFuture>> WaitAsync<TFuture>(IEnumerable<TFuture> futures, WaitFor waitFor = WaitFor.AllCompleted,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TFuture : Future
    {
        ArgumentNullException.ThrowIfNull(futures);
        var list = futures as IReadOnlyList<TFuture> ?? [.. futures];
        var entries = new ClientKeyEntry[list.Count];
        for (var i = 0; i < entries.Length; i++) entries[i] = OwnEntry(list[i]);
        var condition = ConditionMet(entries, waitFor);
        if (!condition.IsCompleted)
        {
            try
            {
                await (timeout is { } t ? condition.WaitAsync(t, cancellationToken) : condition.WaitAsync(cancellationToken)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                var done = entries.Count(e => e.Status != FutureStatus.Pending);
                throw new TimeoutException(
                    $"waited {timeout!.Value.TotalSeconds:0.###} s for {Describe(waitFor)} of {entries.Length} futures; {done} done, {entries.Length - done} still pending");
            }
        }

        var doneList = new List<TFuture>();
        var notDone = new List<TFuture>();
        for (var i = 0; i < entries.Length; i++) (entries[i].Status != FutureStatus.Pending ? doneList : notDone).Add(list[i]);
        return new WaitResult<TFuture>(doneList, notDone);
    }

    private static string Describe(WaitFor waitFor) => waitFor switch
    {
        WaitFor.FirstCompleted => "the first completion",
        WaitFor.FirstException => "the first failure or all completions",
        _ => "all completions",
    };

    /// <summary>Completes when <paramref name="waitFor"/> holds over <paramref name="entries"/>; one continuation per pending key.</summary>
    private static Task ConditionMet(ClientKeyEntry[] entries, WaitFor waitFor)
    {
        if (entries.Length == 0) return Task.CompletedTask;
        if (waitFor == WaitFor.AllCompleted) return AllDone(entries);
        var met = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = entries.Length;
        foreach (var entry in entries)
        {
            void OnDone()
            {
                var failed = entry.Status is FutureStatus.Error or FutureStatus.Cancelled;
                if (Interlocked.Decrement(ref remaining) == 0 || waitFor == WaitFor.FirstCompleted || failed) met.TrySetResult();
            }

            var done = entry.Done;
            if (done.IsCompleted) OnDone();
            else done.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnDone);
            if (met.Task.IsCompleted) break;
        }

        return met.Task;
    }

    /// <summary>All entries done; a key lost and recomputed meanwhile is waited for again.</summary>
    private static async Task AllDone(ClientKeyEntry[] entries)
    {
        foreach (var entry in entries)
        {
            while (!entry.Done.IsCompleted) await entry.Done.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> workers are connected, at most <paramref name="timeout"/>.
    /// </summary>
    /// <param name="count">How many workers.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="TimeoutException">Fewer workers came; the message names those that did.</exception>
    public async Task WaitForWorkersAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await WaitForWorkersAsync(count, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var info = await GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
            var names = info.Workers.Count == 0 ? "none" : string.Join(", ", info.Workers.Select(w => $"{w.Name} ({w.Address}, {w.NThreads} threads)"));
            throw new TimeoutException(
                $"waited {timeout.TotalSeconds:0.###} s for {count} workers at the scheduler {SchedulerAddress}; {info.Workers.Count} connected: {names}");
        }
    }

    /// <summary>
    /// The keys this client holds futures for, with where each stands (Dask's <c>client.futures</c>). A snapshot: it
    /// does not change as tasks finish.
    /// </summary>
    public IReadOnlyDictionary<string, FutureStatus> Futures
    {
        get
        {
            lock (_keys) return _keys.ToDictionary(p => p.Key, p => p.Value.Status, StringComparer.Ordinal);
        }
    }
}

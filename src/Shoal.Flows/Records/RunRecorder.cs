using System.Threading.Channels;

namespace Shoal.Flows;

/// <summary>
/// Queues run events and writes them to the store in batches from one background loop, so that
/// recording a state change costs a channel write on the flow's path, not a database round trip.
/// The queue is bounded: a store slower than the flow slows the flow rather than filling memory.
/// </summary>
internal sealed class RunRecorder : IAsyncDisposable
{
    private const int MaxBatch = 4096;
    private readonly IFlowRunStore store;
    private readonly Channel<RunEvent> queue = Channel.CreateBounded<RunEvent>(new BoundedChannelOptions(65536) { SingleReader = true });
    private readonly Task loop;
    private readonly Lock flushLock = new();
    private TaskCompletionSource flushed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long written;
    private long queued;
    private Exception? failure;

    public RunRecorder(IFlowRunStore store)
    {
        this.store = store;
        loop = Task.Run(WriteLoopAsync);
    }

    public ValueTask RecordAsync(RunEvent e, CancellationToken cancellationToken = default)
    {
        if (failure is { } error) throw new InvalidOperationException($"the run store failed: {error.Message}", error);
        Interlocked.Increment(ref queued);
        return queue.Writer.TryWrite(e) ? ValueTask.CompletedTask : queue.Writer.WriteAsync(e, cancellationToken);
    }

    /// <summary>Completes once everything recorded before the call is in the store.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref queued);
        while (Interlocked.Read(ref written) < target)
        {
            if (failure is { } error) throw new InvalidOperationException($"the run store failed: {error.Message}", error);
            Task wait;
            lock (flushLock) wait = flushed.Task;
            if (Interlocked.Read(ref written) >= target) break;
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<RunEvent>(MaxBatch);
        var reader = queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var e)) batch.Add(e);
            try
            {
                await store.WriteAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            Interlocked.Add(ref written, batch.Count);
            batch.Clear();
            lock (flushLock)
            {
                var done = flushed;
                flushed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                done.TrySetResult();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop.ConfigureAwait(false);
    }
}

using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>Yields each future as soon as its task finishes, fails or is cancelled, in completion order.</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="futures">The futures to watch.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The same futures, in the order they completed.</returns>
    public async IAsyncEnumerable<Future<T>> AsCompleted<T>(IEnumerable<Future<T>> futures, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = futures as IReadOnlyList<Future<T>> ?? [.. futures];
        var done = Channel.CreateUnbounded<Future<T>>(new UnboundedChannelOptions { SingleReader = true });
        foreach (var future in list)
        {
            var entry = future.Entry ?? throw new InvalidOperationException($"Future '{future.Key}' does not belong to a client.");
            if (entry.Done.IsCompleted) done.Writer.TryWrite(future);
            else _ = entry.Done.ContinueWith(static (_, state) => ((Action)state!)(), (Action)(() => done.Writer.TryWrite(future)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        for (var i = 0; i < list.Count; i++)
        {
            yield return await done.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Cancels the futures' tasks: those not finished stop (or are dropped when they finish), and their results are released.</summary>
    /// <param name="futures">The futures.</param>
    /// <param name="cancellationToken">Stops waiting for the scheduler to confirm.</param>
    /// <returns>Completes when the scheduler confirmed every cancellation.</returns>
    public async Task CancelAsync(IEnumerable<Future> futures, CancellationToken cancellationToken = default)
    {
        var list = futures.ToArray();
        var cancel = new CancelKeys();
        foreach (var future in list) cancel.Keys.Add(future.Key);
        var waits = list.Select(f => f.Entry).Where(e => e is not null).Select(e => e!.Cancelled).ToArray();
        _outbox.Send(new Envelope { CancelKeys = cancel });
        await Task.WhenAll(waits).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels one future's task.</summary>
    /// <param name="future">The future.</param>
    /// <param name="cancellationToken">Stops waiting for the scheduler to confirm.</param>
    /// <returns>Completes when the scheduler confirmed the cancellation.</returns>
    public Task CancelAsync(Future future, CancellationToken cancellationToken = default) => CancelAsync([future], cancellationToken);
}

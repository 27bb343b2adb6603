using System.Runtime.CompilerServices;

namespace Shoal.Flows;

/// <summary>Streamed maps: a window of runs in the cluster, results yielded in order and forgotten.</summary>
internal sealed partial class FlowRun
{
    public async IAsyncEnumerable<TResult> MapStream<T, TResult>(FlowTask<T, TResult> task, IEnumerable<T> items, int window,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Token);
        var inFlight = new Queue<TaskRun<TResult>>(Math.Min(window, 1 << 16));
        using var source = items.GetEnumerator();
        var index = 0;
        var more = true;
        void Fill()
        {
            while (more && inFlight.Count < window)
            {
                more = source.MoveNext();
                if (more) inFlight.Enqueue(Submit(task, source.Current, index++, []));
            }
        }

        Fill();
        while (inFlight.TryDequeue(out var run))
        {
            TResult value;
            try
            {
                value = await run.ResultAsync(linked.Token).ConfigureAwait(false);
            }
            finally
            {
                Forget(run);
            }

            Fill();
            yield return value;
        }
    }
}

using System.Diagnostics;

namespace Shoal.Bench;

/// <summary>Samples the summed and the largest resident set of the worker processes until stopped.</summary>
internal sealed class RssSampler : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakSum, _peakOne;

    public RssSampler(IReadOnlyList<int> pids)
    {
        _loop = Task.Run(async () =>
        {
            var processes = pids.Select(Process.GetProcessById).ToArray();
            while (!_stop.IsCancellationRequested)
            {
                long sum = 0;
                foreach (var p in processes)
                {
                    p.Refresh();
                    var rss = p.WorkingSet64;
                    sum += rss;
                    _peakOne = Math.Max(_peakOne, rss);
                }

                _peakSum = Math.Max(_peakSum, sum);
                try
                {
                    await Task.Delay(50, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    public (long Sum, long One) Stop()
    {
        _stop.Cancel();
        _loop.Wait();
        return (_peakSum, _peakOne);
    }

    public void Dispose()
    {
        if (!_stop.IsCancellationRequested) Stop();
        _stop.Dispose();
    }
}

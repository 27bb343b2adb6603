using System.Diagnostics;

namespace Shoal.ClientSide;

/// <summary>
/// Counts a set of futures' progress per task group by reading their status (a field each), so a
/// resubmitted or lost-and-recomputed future counts as it stands now. Read from one thread.
/// </summary>
internal sealed class ProgressTracker
{
    private readonly Future[] _futures;
    private readonly int[] _groupOf;
    private readonly string[] _names;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ProgressTracker(IEnumerable<Future> futures)
    {
        ArgumentNullException.ThrowIfNull(futures);
        _futures = [.. futures];
        var groups = new Dictionary<string, int>(StringComparer.Ordinal);
        _groupOf = new int[_futures.Length];
        for (int i = 0; i < _futures.Length; i++)
        {
            var future = _futures[i] ?? throw new ArgumentException("the futures contain null", nameof(futures));
            var name = Protocol.TaskGroupName.Of(future.Key);
            if (!groups.TryGetValue(name, out var g)) groups[name] = g = groups.Count;
            _groupOf[i] = g;
        }

        _names = new string[groups.Count];
        foreach (var (name, g) in groups) _names[g] = name;
    }

    public ProgressReport Read()
    {
        var total = new int[_names.Length];
        var done = new int[_names.Length];
        var erred = new int[_names.Length];
        for (int i = 0; i < _futures.Length; i++)
        {
            int g = _groupOf[i];
            total[g]++;
            switch (_futures[i].Status)
            {
                case FutureStatus.Finished:
                    done[g]++;
                    break;
                case FutureStatus.Error or FutureStatus.Cancelled:
                    done[g]++;
                    erred[g]++;
                    break;
            }
        }

        return new ProgressReport([.. _names.Select((n, g) => new GroupProgress(n, total[g], done[g], erred[g]))], _clock.Elapsed);
    }
}

/// <summary>
/// The loop every progress display shares: reads the tracker every <c>tick</c>, hands each
/// changed report (and the first and last) to the display, and ends when every future is done.
/// </summary>
internal static class ProgressLoop
{
    public static async Task<ProgressReport> RunAsync(ProgressTracker tracker, TimeSpan tick, Action<ProgressReport> show, CancellationToken cancellationToken)
    {
        var report = tracker.Read();
        show(report);
        using var timer = new PeriodicTimer(tick > TimeSpan.Zero ? tick : TimeSpan.FromMilliseconds(100));
        while (!report.IsComplete && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var next = tracker.Read();
            if (next.Done != report.Done || next.Erred != report.Erred || next.IsComplete) show(next);
            report = next;
        }

        return report;
    }
}

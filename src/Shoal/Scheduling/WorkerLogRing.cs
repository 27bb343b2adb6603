using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

/// <summary>
/// The workers' recent log lines as the scheduler keeps them: a bounded ring per worker name
/// (a restarted worker goes on in its predecessor's ring, which is what one wants to read after a
/// crash), each line numbered in one sequence so a reader can ask for what is new. Bounded in
/// workers too: past <see cref="MaxWorkers"/> names, the ring that heard nothing for longest goes.
/// Used on the scheduler loop only.
/// </summary>
internal sealed class WorkerLogRing(int linesPerWorker = WorkerLogRing.DefaultLinesPerWorker)
{
    public const int DefaultLinesPerWorker = 1_000;
    public const int MaxWorkers = 1_024;

    private readonly Dictionary<string, (Queue<WorkerLogLine> Lines, ulong Last)> _rings = new(StringComparer.Ordinal);
    private ulong _sequence;

    /// <summary>The highest sequence number given so far.</summary>
    public ulong LastSequence => _sequence;

    public void Add(string worker, WorkerLogs batch)
    {
        if (batch.Dropped > 0)
        {
            Add(worker, new WorkerLogLine
            {
                UnixSeconds = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).TotalSeconds,
                Level = (int)Microsoft.Extensions.Logging.LogLevel.Warning,
                Category = "Shoal.Worker",
                Message = $"{batch.Dropped} log lines were dropped on the worker (its buffer was full)",
            });
        }

        foreach (var line in batch.Lines) Add(worker, line);
    }

    private void Add(string worker, WorkerLogLine line)
    {
        line.Worker = worker;
        line.Sequence = ++_sequence;
        if (!_rings.TryGetValue(worker, out var ring))
        {
            if (_rings.Count >= MaxWorkers) _rings.Remove(_rings.MinBy(r => r.Value.Last).Key);
            ring = (new Queue<WorkerLogLine>(), 0);
        }

        ring.Lines.Enqueue(line);
        while (ring.Lines.Count > linesPerWorker) ring.Lines.Dequeue();
        _rings[worker] = (ring.Lines, line.Sequence);
    }

    /// <summary>The lines kept that match, in sequence order.</summary>
    /// <param name="after">Only lines numbered above this.</param>
    /// <param name="worker">Only this worker's (null: all).</param>
    /// <param name="minLevel">Only lines at this level or above.</param>
    /// <param name="tasksOnly">Only lines a task wrote.</param>
    public List<WorkerLogLine> Read(ulong after, string? worker, int minLevel, bool tasksOnly)
    {
        var lines = new List<WorkerLogLine>();
        foreach (var (name, ring) in _rings)
        {
            if (worker is not null && name != worker) continue;
            if (ring.Last <= after) continue;
            foreach (var line in ring.Lines)
            {
                if (line.Sequence > after && line.Level >= minLevel && (!tasksOnly || line.Key.Length > 0)) lines.Add(line);
            }
        }

        lines.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return lines;
    }
}

using Shoal.Protocol.Messages;

namespace Shoal.Execution;

// Log forwarding: the worker's own lines at its forward level, and its tasks' lines
// (WorkerContext.Logger), go to the scheduler with the heartbeats.
internal sealed partial class WorkerServer
{
    private readonly WorkerLogBuffer _logs = new();

    /// <summary>
    /// Loop side, with each heartbeat and before each task's report: the lines logged since. A
    /// task's lines thus reach the scheduler before it hears the task is done, so whoever sees
    /// the result can read them (flows do). Kept while the scheduler is away.
    /// </summary>
    private void SendLogs()
    {
        if (_connected && _logs.Drain() is { } batch) SendToScheduler(new Envelope { WorkerLogs = batch });
    }

    /// <summary>Transfers since the last heartbeat (bounded: past it, the oldest marks are not kept; they are only marks).</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<TransferMark> _transfers = new();
    private const int MaxMarks = 1_000;
    private long _spilledCountSent;
    private long _spilledBytesSent;
    private double _lastActivity;

    /// <summary>Transfer side: a fetch from a peer ended.</summary>
    private void MarkTransfer(string peer, double start, double stop, long bytes, int keys)
    {
        if (_transfers.Count < MaxMarks) _transfers.Enqueue(new TransferMark { Peer = peer, Start = start, Stop = stop, Nbytes = (ulong)Math.Max(0, bytes), Keys = (uint)keys });
    }

    /// <summary>Loop side, with each heartbeat: the transfers and the spills since the last one.</summary>
    private void SendActivity()
    {
        var now = Now;
        var activity = new WorkerActivity();
        while (activity.Transfers.Count < MaxMarks && _transfers.TryDequeue(out var mark)) activity.Transfers.Add(mark);
        long count = _store.SpillCount, spilled = _store.SpilledBytes;
        if (count > _spilledCountSent)
        {
            activity.Spills.Add(new SpillMark
            {
                Start = _lastActivity, Stop = now, Count = (uint)(count - _spilledCountSent), Nbytes = (ulong)Math.Max(0, spilled - _spilledBytesSent),
            });
        }

        _spilledCountSent = count;
        _spilledBytesSent = spilled;
        _lastActivity = now;
        if (_connected && (activity.Transfers.Count > 0 || activity.Spills.Count > 0)) SendToScheduler(new Envelope { WorkerActivity = activity });
    }
}

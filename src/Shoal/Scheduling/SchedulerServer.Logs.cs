using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

// The workers' log lines (WorkerLogs with their heartbeats), kept in a bounded ring per worker and
// read by clients (WorkerLogsRequest) and the dashboard. Loop side only.
internal sealed partial class SchedulerServer
{
    private readonly WorkerLogRing _workerLogs = new();

    /// <summary>Workers send their lines; clients read them, and record performance reports.</summary>
    private static bool RoleMaySendLogs(Role role, Envelope.BodyOneofCase body) =>
        (role == Role.Worker && body is Envelope.BodyOneofCase.WorkerLogs or Envelope.BodyOneofCase.WorkerActivity)
        || (role == Role.Client && body is Envelope.BodyOneofCase.WorkerLogsRequest or Envelope.BodyOneofCase.PerformanceReportStart or Envelope.BodyOneofCase.PerformanceReportStop);

    private void WorkerLogs(Session session, WorkerLogs logs) => _workerLogs.Add(session.Registration!.Name, logs);

    /// <summary>A worker's transfers and spills: into the observer's task stream, marked as such (a few stores each, as for tasks).</summary>
    private void WorkerActivity(Session session, WorkerActivity activity, double now)
    {
        foreach (var t in activity.Transfers)
            _observer.Stream.Write(t.Peer, session.Id, Shoal.Dashboard.TaskStreamKind.Transfer, t.Start, t.Stop, now, (long)t.Nbytes);
        foreach (var s in activity.Spills)
            _observer.Stream.Write("spill", session.Id, Shoal.Dashboard.TaskStreamKind.Spill, s.Start, s.Stop, now, (long)s.Nbytes);
    }

    private void WorkerLogsRequested(Session session, WorkerLogsRequest request)
    {
        var reply = new WorkerLogsReply { RequestId = request.RequestId };
        reply.Lines.AddRange(ReadWorkerLogsOnLoop(request.After, request.Worker.Length == 0 ? null : request.Worker, request.MinLevel, request.TasksOnly));
        reply.LastSequence = _workerLogs.LastSequence;
        TrySend(session, new Envelope { WorkerLogsReply = reply }, default);
    }

    /// <summary>On the loop: the highest sequence number given to a line so far.</summary>
    internal ulong LastLogSequenceOnLoop => _workerLogs.LastSequence;

    /// <summary>On the loop: lines kept that match; <paramref name="worker"/> is a name or an address.</summary>
    internal List<WorkerLogLine> ReadWorkerLogsOnLoop(ulong after, string? worker, int minLevel, bool tasksOnly)
    {
        if (worker is not null)
        {
            // An address names the worker registered there now.
            foreach (var session in _workers.Values)
            {
                if (session.Registration is { } r && r.Address == worker) worker = r.Name;
            }
        }

        return _workerLogs.Read(after, worker, minLevel, tasksOnly);
    }
}

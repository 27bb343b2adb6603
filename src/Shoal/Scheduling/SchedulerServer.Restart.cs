using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

// The I/O of a restart asked by a client: which sessions, refusals, CloseWorker with the restart flag, the reply.
// What happens to the tasks is decided by the state (SchedulerState.Restart.cs).
internal sealed partial class SchedulerServer
{
    /// <summary>The reason given to the clients' futures that a restart cancels (KeyRestarted).</summary>
    private string _restartCause = "";

    private void Restart(Session session, RestartRequest request, double now)
    {
        var reply = new RestartReply { RequestId = request.RequestId };
        List<Session> chosen;
        lock (_workers)
        {
            var wanted = request.Workers.ToHashSet(StringComparer.Ordinal);
            chosen = [.. _workers.Values.Where(s => s.Registration is { } r && (request.All || wanted.Contains(r.Name) || wanted.Contains(r.Address)))];
            if (!request.All)
            {
                var unknown = wanted.Where(w => !chosen.Any(s => s.Registration!.Name == w || s.Registration.Address == w)).ToArray();
                if (unknown.Length > 0) reply.Error = $"no such worker: {string.Join(", ", unknown)}";
            }
        }

        // A worker without a nanny (in-process LocalCluster workers, `shoal worker --no-nanny`) would only be closed:
        // nothing starts it again, so the restart would wait in vain and the cluster would shrink. Refused instead.
        var unmanaged = chosen.Where(s => !s.Registration!.Nanny).Select(s => s.Registration!.Name).ToArray();
        if (reply.Error.Length == 0 && unmanaged.Length > 0)
            reply.Error = $"workers without a nanny cannot be restarted (nothing would start them again; in-process LocalCluster workers and `shoal worker --no-nanny` have none): {string.Join(", ", unmanaged)}";
        if (reply.Error.Length > 0)
        {
            TrySend(session, new Envelope { RestartReply = reply }, default);
            return;
        }

        var cause = request.All ? "the cluster was restarted (Client.RestartAsync)" : "restarted at a client's request (Client.RestartWorkersAsync)";
        SchedulerLog.Restarting(_logger, session.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), chosen.Count, request.All ? "all" : "named");
        if (request.All)
        {
            _restartCause = "cancelled: " + cause;
            _state.ForgetAllTasks(now);
        }

        foreach (var worker in chosen)
        {
            TrySend(worker, new Envelope { CloseWorker = new CloseWorker { Reason = cause, Restart = true } }, default);
            reply.Restarted.Add(worker.Registration!.Name);
            // Expected: the tasks it was running do not count this death against their allowed failures.
            RemoveWorkerSession(worker, cause, now, expected: true);
        }

        lock (_workers) reply.ExpectedWorkers = (uint)(_workers.Count + chosen.Count);
        TrySend(session, new Envelope { RestartReply = reply }, default);
    }
}

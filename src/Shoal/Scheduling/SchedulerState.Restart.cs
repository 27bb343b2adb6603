namespace Shoal.Scheduling;

// A restart asked by a client (Client.RestartAsync / RestartWorkersAsync). Its decisions are made here so that the
// unit tests can check them without sockets; the server closes the worker sessions and answers the client.
internal sealed partial class SchedulerState
{
    /// <summary>
    /// Forgets every task, as Dask's <c>Scheduler.restart</c>: each client that wants a task gets a
    /// <see cref="SchedulerCommandKind.KeyRestarted"/> for it (its future ends cancelled, naming the restart), fire-and-forget
    /// holds are dropped, and every task is released (FreeKeys to the workers that still run or hold it: they are about to
    /// be restarted, but a worker without the restart flag must not keep stale results either). The workers themselves are
    /// removed afterwards with <see cref="RestartWorker"/>.
    /// </summary>
    public void ForgetAllTasks(double now)
    {
        Stimulus(StoryCause.KeysCancelled, now);
        // A snapshot: a client that stops holding a task being restored changes the task table (RestoreFailed).
        foreach (int t in _keyIndex.Values.ToArray())
        {
            ref var r = ref _tasks[t];
            // Copied first: removing a wanter reorders the set.
            var wanters = new List<int>(r.WanterCount);
            if (r.WanterCount == 1) wanters.Add(r.Wanter0);
            else for (int i = 0; i < r.WanterCount; i++) wanters.Add(r.MoreWanters![i]);
            foreach (int client in wanters)
            {
                if (client >= 0) EmitToClient(SchedulerCommandKind.KeyRestarted, client, t);
                if (RemoveWanter(t, client) && client == FireAndForgetClient) _fireAndForgetCount--;
            }
            _releaseCandidates.Add(t);
        }
        Settle();
    }

    /// <summary>
    /// Removes a worker that a client asked to restart. Its tasks follow the rules of a lost worker (processing ones go
    /// elsewhere, results only it held are recomputed if still wanted), but the death is expected: it does not count
    /// against the allowed failures of the tasks that were executing there (the client, not the task, ended it).
    /// </summary>
    public void RestartWorker(int worker, string cause, double now) => RemoveWorker(worker, cause, now, expected: true);
}

namespace Shoal.Scheduling;

// Work stealing: move tasks a saturated worker has probably not started to a worker with idle
// threads, when the move pays for itself. The scheduler cannot know what a worker has started,
// so it asks the victim (StealRequest) and moves the task only if the victim gives it back.
internal sealed partial class SchedulerState
{
    /// <summary>How many tasks from the tail of a victim's list are looked at per steal.</summary>
    private const int StealScanLimit = 64;

    // Victims by surplus (most first, then lowest id), rebuilt at each tick.
    private readonly PriorityQueue<WorkerRecord, (int NegativeSurplus, int Id)> _victims = new();

    /// <summary>
    /// Each worker with idle threads (in join order) steals from the worker with the most tasks beyond its threads.
    /// One pass over the workers per tick, then O(log W) per steal: the victims wait in a heap by surplus instead of
    /// being searched again for every steal (which cost O(W²) per tick with thousands of idle workers).
    /// </summary>
    private void Steal()
    {
        var live = _liveWorkers;
        if (live.Count < 2) return;
        var victims = _victims;
        victims.Clear();
        foreach (int id in live)
        {
            var w = _workers[id]!;
            int surplus = w.ProcessingCount - w.OutgoingSteals - w.NThreads;
            if (surplus > 0) victims.Enqueue(w, (-surplus, id));
        }
        if (victims.Count == 0) return;

        foreach (int thiefId in live)
        {
            var thief = _workers[thiefId]!;
            if (thief.Closing) continue;
            // A thief has fewer tasks than threads, so it is never among the victims (more tasks than threads).
            int free = thief.NThreads - thief.ProcessingCount - thief.IncomingSteals;
            while (free > 0)
            {
                if (!victims.TryPeek(out var victim, out _)) return;
                int task = FindStealable(victim, thief);
                if (task < 0) break;
                _tasks[task].StealThief = thiefId;
                thief.IncomingSteals++;
                victim.OutgoingSteals++;
                Emit(SchedulerCommandKind.StealRequest, victim.Id, task);
                RecordTransition(task, TaskState.Processing, TaskState.Processing, victim.Spec.Name, $"steal requested for {thief.Spec.Name}");
                victims.Dequeue();
                int surplus = victim.ProcessingCount - victim.OutgoingSteals - victim.NThreads;
                if (surplus > 0) victims.Enqueue(victim, (-surplus, victim.Id));
                free--;
            }
        }
        victims.Clear();
    }

    /// <summary>
    /// The most recently sent task on the victim (the least likely to have started) whose
    /// estimated run time exceeds the time to move its inputs to the thief (plus the steal's
    /// round trip); -1 when none.
    /// </summary>
    private int FindStealable(WorkerRecord victim, WorkerRecord thief)
    {
        int scanned = 0;
        int skip = victim.NThreads; // the first ones sent are probably running
        int candidates = victim.ProcessingCount - skip;
        for (int t = victim.ProcTail; t >= 0 && scanned < Math.Min(StealScanLimit, candidates); t = _tasks[t].ProcPrev, scanned++)
        {
            ref var r = ref _tasks[t];
            // A task others wait for ahead of time there is refused by the worker (another local task needs it).
            if (r.StealThief >= 0 || r.AheadDependents > 0) continue;
            if (r.Constraints is { } c && (!IsValid(thief, c) || !HasFreeResources(thief, c) || c.Workers is not null)) continue;
            double compute = EstimatedDuration(r.Group);
            double transfer = 0;
            foreach (int d in r.Dependencies)
            {
                var holders = WhoHas(d);
                if (holders.IndexOf(thief.Id) < 0) transfer += Math.Max(_tasks[d].Nbytes, 0);
            }
            // Moving it costs its inputs' transfer plus one round trip to negotiate the steal.
            transfer = transfer / Math.Max(_config.Bandwidth, 1) + _config.RoundTrip;
            if (compute > transfer) return t;
        }
        return -1;
    }

    /// <summary>Forgets a pending steal of a task (answered, finished, or moved).</summary>
    private void CancelSteal(int task)
    {
        ref var r = ref _tasks[task];
        if (r.StealThief < 0) return;
        var thief = WorkerOrNull(r.StealThief);
        if (thief is not null) thief.IncomingSteals--;
        var victim = WorkerOrNull(r.ProcessingOn);
        if (victim is not null) victim.OutgoingSteals--;
        r.StealThief = -1;
    }
}

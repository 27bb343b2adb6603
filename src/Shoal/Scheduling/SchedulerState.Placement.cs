namespace Shoal.Scheduling;

// Where ready tasks go: root tasks into the scheduler-side queue, the rest to the worker that
// minimises transfer time plus queued work, subject to restrictions and resources.
internal sealed partial class SchedulerState
{
    private bool QueuingEnabled => !double.IsPositiveInfinity(_config.WorkerSaturation);

    /// <summary>
    /// How many tasks a worker may be processing before the queue stops feeding it root tasks.
    /// Dask uses ceil(nthreads × worker-saturation): with tiny tasks that leaves threads idle
    /// for a whole scheduler round trip after each task, capping a worker at about
    /// nthreads / round-trip tasks per second (Dask's ~600 tasks/s). So the slots also cover
    /// the round trip: enough tasks to keep every thread busy while a completion travels to
    /// the scheduler and the next task back, nthreads + ceil(nthreads × roundTrip / duration),
    /// where duration is the measured average of the task's group. Large tasks keep Dask's
    /// bound (bounded memory on wide graphs); tiny ones pipeline up to MaxPipelinedPerWorker.
    /// </summary>
    private int Slots(WorkerRecord w, int group)
    {
        double saturation = _config.WorkerSaturation;
        if (double.IsPositiveInfinity(saturation)) return int.MaxValue;
        int n = w.NThreads;
        double byThreads = Math.Ceiling(n * saturation);
        double duration = Math.Max(EstimatedDuration(group), 1e-6);
        double byRoundTrip = n + Math.Ceiling(n * Math.Max(_config.RoundTrip, 0) / duration);
        double slots = Math.Min(Math.Max(byThreads, byRoundTrip), Math.Max(1, _config.MaxPipelinedPerWorker));
        return Math.Max(1, (int)slots);
    }

    /// <summary>Places the tasks that became ready during this event, in priority order.</summary>
    private void ScheduleReady()
    {
        if (_ready.Count == 0) return;
        var direct = _readyDirect;
        foreach (int t in _ready)
        {
            ref var r = ref _tasks[t];
            if (!r.Live || r.State != TaskState.Waiting || r.WaitingOn != 0) continue;
            if (QueuingEnabled && r.Dependencies.Length == 0 && r.Constraints is null)
            {
                SetState(t, TaskState.Queued);
                HeapPush(t);
            }
            else direct.Add(t);
        }
        _ready.Clear();
        if (direct.Count == 0) return;
        if (direct.Count > 1 && !IsSorted(direct)) direct.Sort(_priorityComparer);
        // Decide never adds to 'direct', so iterating it is safe.
        for (int i = 0; i < direct.Count; i++)
        {
            int t = direct[i];
            if (_tasks[t].State == TaskState.Waiting) Decide(t);
        }
        direct.Clear();
    }

    private bool IsSorted(List<int> tasks)
    {
        for (int i = 1; i < tasks.Count; i++) if (ComparePriority(tasks[i - 1], tasks[i]) > 0) return false;
        return true;
    }

    /// <summary>A ready task that is not queued: to a worker, to wait for resources, or to no-worker.</summary>
    private void Decide(int task)
    {
        int w = PickWorker(task, out bool anyValid);
        if (w >= 0) Assign(task, w);
        else if (anyValid)
        {
            SetState(task, TaskState.Queued);
            _resourceWaiting.Add(task);
        }
        else
        {
            SetState(task, TaskState.NoWorker);
            _noWorker.Add(task);
        }
    }

    /// <summary>Whether a worker satisfies a task's hard restrictions and declares its resources.</summary>
    private static bool IsValid(WorkerRecord w, TaskConstraints? c)
    {
        if (c is null) return true;
        if (c.Workers is not null && !c.AllowOtherWorkers && !Named(w, c.Workers)) return false;
        if (c.Resources is not null)
        {
            foreach (var (name, amount) in c.Resources)
                if (!w.Spec.Resources.TryGetValue(name, out var has) || has < amount) return false;
        }
        return true;
    }

    private static bool Named(WorkerRecord w, HashSet<string> names) =>
        names.Contains(w.Spec.Name) || names.Contains(w.Spec.Address);

    private static bool HasFreeResources(WorkerRecord w, TaskConstraints? c)
    {
        if (c?.Resources is null) return true;
        foreach (var (name, amount) in c.Resources)
            if (w.ResourcesUsed![name] + amount > w.Spec.Resources[name] + 1e-9) return false;
        return true;
    }

    /// <summary>
    /// The worker minimising (bytes of inputs it lacks / bandwidth) + (occupancy / threads),
    /// among those allowed (preferred ones first when restrictions are loose) with free
    /// resources; -1 when none. anyValid tells whether some worker could run it later.
    /// </summary>
    private int PickWorker(int task, out bool anyValid)
    {
        anyValid = false;
        var live = _liveWorkers;
        if (live.Count == 0) return -1;
        var c = _tasks[task].Constraints;
        if (c is null) return PickUnrestricted(task, out anyValid);
        // Restrictions and resources (rare): every worker is looked at.
        bool preferNamed = false;
        if (c?.Workers is not null && c.AllowOtherWorkers)
        {
            foreach (int id in live)
                if (Named(_workers[id]!, c.Workers) && IsValid(_workers[id]!, c)) { preferNamed = true; break; }
        }

        // Bytes of inputs each worker already holds.
        var deps = _tasks[task].Dependencies;
        double totalBytes = 0;
        if (deps.Length > 0)
        {
            if (_bytesOnWorker.Length < _workers.Length) _bytesOnWorker = new double[_workers.Length];
            for (int i = 0; i < deps.Length; i++)
            {
                ref var d = ref _tasks[deps[i]];
                double nb = Math.Max(d.Nbytes, 0);
                totalBytes += nb;
                var holders = WhoHas(deps[i]);
                for (int h = 0; h < holders.Length; h++) _bytesOnWorker[holders[h]] += nb;
            }
        }

        int best = -1;
        double bestCost = double.PositiveInfinity;
        double bandwidth = Math.Max(_config.Bandwidth, 1);
        foreach (int id in live)
        {
            var w = _workers[id]!;
            if (!IsValid(w, c) || w.Closing) continue;
            if (preferNamed && !Named(w, c!.Workers!)) continue;
            anyValid = true;
            if (!HasFreeResources(w, c)) continue;
            double lacking = deps.Length > 0 ? totalBytes - _bytesOnWorker[id] : 0;
            double cost = lacking / bandwidth + w.Occupancy / w.NThreads;
            if (cost < bestCost - 1e-12
                || (Math.Abs(cost - bestCost) <= 1e-12 && w.ProcessingCount * _workers[best]!.NThreads < _workers[best]!.ProcessingCount * w.NThreads))
            {
                best = id;
                bestCost = cost;
            }
        }

        if (deps.Length > 0)
        {
            for (int i = 0; i < deps.Length; i++)
            {
                var holders = WhoHas(deps[i]);
                for (int h = 0; h < holders.Length; h++) _bytesOnWorker[holders[h]] = 0;
            }
        }
        return best;
    }

    /// <summary>-> processing on a worker; emits Compute.</summary>
    private void Assign(int task, int worker)
    {
        var w = _workers[worker]!;
        ref var r = ref _tasks[task];
        r.RunId = ++_lastRunId;
        // A run here again: what the worker reports from now on follows the earlier FreeKeys (same connection).
        if (_freedOn.Count > 0 && _freedOn.TryGetValue(task, out int freedOn) && freedOn == worker) _freedOn.Remove(task);
        r.ProcessingOn = worker;
        r.StealThief = -1;
        LinkAtTail(task, ref w.ProcHead, ref w.ProcTail);
        CountProcessing(task, w);
        if (r.Constraints?.Resources is { } resources)
            foreach (var (name, amount) in resources) w.ResourcesUsed![name] += amount;
        SetState(task, TaskState.Processing);
        Emit(SchedulerCommandKind.Compute, worker, task);
        NoteAssignedForAhead(task);
    }

    /// <summary>Appends a task to a worker's intrusive list (processing, or ahead of time).</summary>
    private void LinkAtTail(int task, ref int head, ref int tail)
    {
        ref var r = ref _tasks[task];
        r.ProcNext = -1;
        r.ProcPrev = tail;
        if (tail >= 0) _tasks[tail].ProcNext = task;
        else head = task;
        tail = task;
    }

    /// <summary>A task on the processing list takes a slot and its estimated duration of the worker's occupancy.</summary>
    private void CountProcessing(int task, WorkerRecord w)
    {
        ref var r = ref _tasks[task];
        w.ProcessingCount++;
        float duration = (float)EstimatedDuration(r.Group);
        r.AssignedDuration = duration;
        w.Occupancy += duration;
        LoadChanged(w);
    }

    /// <summary>Takes a task off its worker's processing list (no command: callers decide).</summary>
    private void RemoveFromProcessing(int task)
    {
        ref var r = ref _tasks[task];
        var w = _workers[r.ProcessingOn]!;
        if (r.Ahead)
        {
            // Never started, holds no slot, no occupancy, no resources, no steal (SchedulerState.AheadOfTime.cs).
            UnlinkAhead(task, w);
            r.ProcessingOn = -1;
            r.AssignedDuration = 0;
            if (r.AheadDependents > 0) PullBackAhead(task);
            return;
        }
        if (r.ProcPrev >= 0) _tasks[r.ProcPrev].ProcNext = r.ProcNext;
        else w.ProcHead = r.ProcNext;
        if (r.ProcNext >= 0) _tasks[r.ProcNext].ProcPrev = r.ProcPrev;
        else w.ProcTail = r.ProcPrev;
        if (r.LongRunning) { r.LongRunning = false; w.LongRunning--; }
        else w.ProcessingCount--;
        StopExecuting(ref r, w);
        w.Occupancy = w.ProcessingCount == 0 ? 0 : w.Occupancy - r.AssignedDuration;
        LoadChanged(w);
        if (r.Constraints?.Resources is { } resources)
        {
            foreach (var (name, amount) in resources) w.ResourcesUsed![name] -= amount;
            _resourcesFreed = true;
        }
        CancelSteal(task);
        r.ProcessingOn = -1;
        r.ProcPrev = r.ProcNext = -1;
        r.AssignedDuration = 0;
        if (r.AheadDependents > 0) PullBackAhead(task); // it left its worker without finishing there
    }

    /// <summary>Hands queued root tasks, best first, to the least loaded workers with free slots.</summary>
    private void DrainQueue()
    {
        while (_heapCount > 0)
        {
            var best = LeastLoadedWithFreeSlot(_tasks[_heap[0]].Group);
            if (best is null) return;
            int t = HeapPop();
            Assign(t, best.Id);
        }
    }

    /// <summary>Retries tasks that waited for resources, best first.</summary>
    private void RetryResourceWaiting()
    {
        if (_resourceWaiting.Count == 0) return;
        _resourceWaiting.Sort(_priorityComparer);
        for (int i = 0; i < _resourceWaiting.Count;)
        {
            int t = _resourceWaiting[i];
            int w = PickWorker(t, out bool anyValid);
            if (w < 0 && anyValid) { i++; continue; }
            _resourceWaiting.RemoveAt(i);
            if (w >= 0) Assign(t, w);
            else
            {
                SetState(t, TaskState.NoWorker); // its last valid worker left
                _noWorker.Add(t);
            }
        }
    }

    /// <summary>Puts no-worker and resource-waiting tasks back through placement (a worker joined).</summary>
    private void RetryUnplaced()
    {
        foreach (int t in _noWorker) { SetState(t, TaskState.Waiting); _tasks[t].WaitingOn = 0; _ready.Add(t); }
        _noWorker.Clear();
        _resourcesFreed = true;
    }
}

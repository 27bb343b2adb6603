namespace Shoal.Scheduling;

// The workers that may take new tasks (live, not closing), kept ordered so that placing a task costs O(log W) and
// not a scan of every worker (as Dask keeps its idle set and occupancy-ordered workers): by processing count within
// each thread count (the root queue's choice, DrainQueue) and by occupancy per thread (the choice for a task with no
// restrictions, PickWorker). Every change of a worker's processing count or occupancy goes through LoadChanged.
internal sealed partial class SchedulerState
{
    private readonly WorkerHeap _byOccupancy = new(WorkerHeap.Order.ByOccupancy);
    private readonly Dictionary<int, WorkerHeap> _byProcessing = new();
    private readonly List<WorkerHeap> _processingClasses = new();
    private PriorityQueue<int, WorkerRecord>? _heapWalk;

    /// <summary>A worker may take tasks: into the orders.</summary>
    private void IndexWorker(WorkerRecord w)
    {
        if (w.Closing) return;
        _byOccupancy.Add(w);
        if (!_byProcessing.TryGetValue(w.NThreads, out var heap))
        {
            _byProcessing[w.NThreads] = heap = new WorkerHeap(WorkerHeap.Order.ByProcessing);
            _processingClasses.Add(heap);
        }
        heap.Add(w);
    }

    /// <summary>A worker takes no new tasks (closing, paused, gone): out of the orders.</summary>
    private void UnindexWorker(WorkerRecord w)
    {
        _byOccupancy.Remove(w);
        if (_byProcessing.TryGetValue(w.NThreads, out var heap)) heap.Remove(w);
    }

    /// <summary>A worker's processing count or occupancy changed.</summary>
    private void LoadChanged(WorkerRecord w)
    {
        if (w.OccupancyHeapSlot < 0) return;
        _byOccupancy.Update(w);
        _byProcessing[w.NThreads].Update(w);
    }

    /// <summary>The thread count a worker registered with (0 when unknown).</summary>
    internal int ThreadsOf(int worker) => WorkerOrNull(worker)?.NThreads ?? 0;

    /// <summary>Number of workers that may take tasks.</summary>
    private int PlaceableWorkers => _byOccupancy.Count;

    /// <summary>
    /// For the root queue: among workers with a free slot for <paramref name="group"/>, the one with the fewest tasks
    /// processing per thread (then lowest id); null when none. Within a thread count the one with the fewest tasks is
    /// the only candidate (all have the same slots), so this looks at one worker per distinct thread count.
    /// </summary>
    private WorkerRecord? LeastLoadedWithFreeSlot(int group)
    {
        WorkerRecord? best = null;
        foreach (var heap in _processingClasses)
        {
            var w = heap.Top;
            if (w is null || w.ProcessingCount >= Slots(w, group)) continue;
            if (best is null) { best = w; continue; }
            long a = (long)w.ProcessingCount * best.NThreads, b = (long)best.ProcessingCount * w.NThreads;
            if (a < b || (a == b && w.Id < best.Id)) best = w;
        }
        return best;
    }

    /// <summary>
    /// PickWorker for a task with no restrictions or resources: the worker minimising (bytes of inputs it lacks ÷
    /// bandwidth) + (occupancy ÷ threads). Workers holding some input are few and are costed one by one; among all the
    /// others the cost is the same transfer plus their occupancy, so the best of them is the first in occupancy order
    /// that holds nothing (a best-first walk of the heap that skips the holders: O(holders · log W)).
    /// </summary>
    private int PickUnrestricted(int task, out bool anyValid)
    {
        anyValid = PlaceableWorkers > 0;
        if (!anyValid) return -1;
        var deps = _tasks[task].Dependencies;
        double bandwidth = Math.Max(_config.Bandwidth, 1);
        double totalBytes = 0;
        for (int i = 0; i < deps.Length; i++)
        {
            double nb = Math.Max(_tasks[deps[i]].Nbytes, 0);
            totalBytes += nb;
            var holders = WhoHas(deps[i]);
            for (int h = 0; h < holders.Length; h++) _bytesOnWorker[holders[h]] += nb;
        }

        WorkerRecord? best = null;
        double bestCost = double.PositiveInfinity;

        // The holders of inputs (each costed once: a worker holding two inputs is listed twice).
        for (int i = 0; i < deps.Length; i++)
        {
            var holders = WhoHas(deps[i]);
            for (int h = 0; h < holders.Length; h++)
            {
                var w = _workers[holders[h]];
                if (w is null || w.OccupancyHeapSlot < 0 || _bytesOnWorker[w.Id] <= 0 || ReferenceEquals(w, best)) continue;
                Consider(w, totalBytes - _bytesOnWorker[w.Id], bandwidth, ref best, ref bestCost);
            }
        }

        // The best of the rest: occupancy order, skipping the workers costed above.
        var walk = _heapWalk ??= new PriorityQueue<int, WorkerRecord>(Comparer<WorkerRecord>.Create((x, y) =>
            ReferenceEquals(x, y) ? 0 : _byOccupancy.Before(x, y) ? -1 : 1));
        walk.Clear();
        walk.Enqueue(0, _byOccupancy[0]);
        while (walk.TryDequeue(out int at, out var w))
        {
            if (_bytesOnWorker[w.Id] <= 0)
            {
                Consider(w, totalBytes, bandwidth, ref best, ref bestCost);
                break;
            }
            for (int child = 2 * at + 1; child <= 2 * at + 2 && child < _byOccupancy.Count; child++) walk.Enqueue(child, _byOccupancy[child]);
        }

        for (int i = 0; i < deps.Length; i++)
        {
            var holders = WhoHas(deps[i]);
            for (int h = 0; h < holders.Length; h++) _bytesOnWorker[holders[h]] = 0;
        }
        return best!.Id;
    }

    /// <summary>Keeps the cheaper of <paramref name="best"/> and <paramref name="w"/> (ties: fewer processing per thread, then lower id).</summary>
    private static void Consider(WorkerRecord w, double lacking, double bandwidth, ref WorkerRecord? best, ref double bestCost)
    {
        double cost = lacking / bandwidth + w.Occupancy / w.NThreads;
        if (best is null || cost < bestCost - 1e-12) { best = w; bestCost = cost; return; }
        if (Math.Abs(cost - bestCost) > 1e-12) return;
        long a = (long)w.ProcessingCount * best.NThreads, b = (long)best.ProcessingCount * w.NThreads;
        if (a < b || (a == b && w.Id < best.Id)) { best = w; bestCost = cost; }
    }

    /// <summary>The orders hold exactly the live workers that are not closing, each in heap order (tests).</summary>
    private void ValidateWorkerIndex()
    {
        int open = 0;
        foreach (int id in _liveWorkers)
        {
            var w = _workers[id]!;
            bool indexed = w.OccupancyHeapSlot >= 0;
            Check(indexed == !w.Closing, $"worker {id}: closing {w.Closing}, in the occupancy order {indexed}");
            Check((w.ProcessingHeapSlot >= 0) == indexed, $"worker {id}: in one order but not the other");
            if (indexed) open++;
        }
        Check(_byOccupancy.Count == open, $"occupancy order holds {_byOccupancy.Count} workers, {open} open");
        Check(_processingClasses.Sum(h => h.Count) == open, "processing orders size");
        foreach (var heap in _processingClasses.Append(_byOccupancy))
            for (int i = 1; i < heap.Count; i++)
                Check(!heap.Before(heap[i], heap[(i - 1) / 2]), "worker heap order");
    }
}

namespace Shoal.Scheduling;

/// <summary>
/// A binary min-heap of workers under one order, with each worker's position kept in the worker record, so that the
/// best worker is read in O(1) and a worker whose load changed moves in O(log W). The scheduler keeps its workers in
/// such heaps (by processing count per thread count, by occupancy per thread) instead of scanning them all for every
/// task: with 10,000 workers a scan per placement was most of the scheduler's CPU.
/// </summary>
internal sealed class WorkerHeap(WorkerHeap.Order order)
{
    /// <summary>Which order, and which position field of <see cref="WorkerRecord"/> it uses.</summary>
    public enum Order
    {
        /// <summary>Fewest tasks processing first (all members have the same thread count), then lowest id.</summary>
        ByProcessing,
        /// <summary>Least occupancy per thread first, then fewest processing per thread, then lowest id.</summary>
        ByOccupancy,
    }

    private WorkerRecord[] _items = new WorkerRecord[16];

    public int Count { get; private set; }

    /// <summary>The best worker, null when empty.</summary>
    public WorkerRecord? Top => Count > 0 ? _items[0] : null;

    /// <summary>The worker at heap position <paramref name="index"/> (0 is the best; children of i are 2i+1, 2i+2).</summary>
    public WorkerRecord this[int index] => _items[index];

    private ref int Slot(WorkerRecord w)
    {
        if (order == Order.ByProcessing) return ref w.ProcessingHeapSlot;
        return ref w.OccupancyHeapSlot;
    }

    public bool Contains(WorkerRecord w) => Slot(w) >= 0;

    public void Add(WorkerRecord w)
    {
        if (Slot(w) >= 0) return;
        if (Count == _items.Length) Array.Resize(ref _items, Count * 2);
        _items[Count] = w;
        Slot(w) = Count;
        Count++;
        Up(Count - 1);
    }

    public void Remove(WorkerRecord w)
    {
        int i = Slot(w);
        if (i < 0) return;
        Slot(w) = -1;
        var last = _items[--Count];
        _items[Count] = null!;
        if (i == Count) return;
        _items[i] = last;
        Slot(last) = i;
        Down(i);
        Up(Slot(last));
    }

    /// <summary>The worker's key changed: restores the order around it.</summary>
    public void Update(WorkerRecord w)
    {
        int i = Slot(w);
        if (i < 0) return;
        Up(i);
        Down(Slot(w));
    }

    /// <summary>Whether <paramref name="a"/> comes before <paramref name="b"/>.</summary>
    public bool Before(WorkerRecord a, WorkerRecord b)
    {
        if (order == Order.ByProcessing)
        {
            if (a.ProcessingCount != b.ProcessingCount) return a.ProcessingCount < b.ProcessingCount;
            return a.Id < b.Id;
        }
        // Per thread, compared by cross-multiplication (no division, exact for equal thread counts).
        double oa = a.Occupancy * b.NThreads, ob = b.Occupancy * a.NThreads;
        if (oa != ob) return oa < ob;
        long pa = (long)a.ProcessingCount * b.NThreads, pb = (long)b.ProcessingCount * a.NThreads;
        if (pa != pb) return pa < pb;
        return a.Id < b.Id;
    }

    private void Up(int i)
    {
        var w = _items[i];
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            var p = _items[parent];
            if (!Before(w, p)) break;
            _items[i] = p;
            Slot(p) = i;
            i = parent;
        }
        _items[i] = w;
        Slot(w) = i;
    }

    private void Down(int i)
    {
        var w = _items[i];
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= Count) break;
            if (child + 1 < Count && Before(_items[child + 1], _items[child])) child++;
            var c = _items[child];
            if (!Before(c, w)) break;
            _items[i] = c;
            Slot(c) = i;
            i = child;
        }
        _items[i] = w;
        Slot(w) = i;
    }
}

namespace Shoal.Scheduling;

// The scheduler-side queue of ready root tasks: a binary heap of task ids, best (highest
// priority) at index 0, with each task's position kept in its record so that a cancelled or
// lost task leaves the queue in O(log n).
internal sealed partial class SchedulerState
{
    private void HeapPush(int task)
    {
        if (_heapCount == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
        int i = _heapCount++;
        _heap[i] = task;
        _tasks[task].HeapIndex = i;
        SiftUp(i);
    }

    private int HeapPop()
    {
        int top = _heap[0];
        HeapRemoveAt(0);
        return top;
    }

    private void HeapRemove(int task) => HeapRemoveAt(_tasks[task].HeapIndex);

    private void HeapRemoveAt(int i)
    {
        int removed = _heap[i];
        _tasks[removed].HeapIndex = -1;
        int last = _heap[--_heapCount];
        if (i == _heapCount) return;
        _heap[i] = last;
        _tasks[last].HeapIndex = i;
        SiftDown(i);
        SiftUp(_tasks[last].HeapIndex);
    }

    private void SiftUp(int i)
    {
        int t = _heap[i];
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            int p = _heap[parent];
            if (ComparePriority(t, p) >= 0) break;
            _heap[i] = p;
            _tasks[p].HeapIndex = i;
            i = parent;
        }
        _heap[i] = t;
        _tasks[t].HeapIndex = i;
    }

    private void SiftDown(int i)
    {
        int t = _heap[i];
        int n = _heapCount;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && ComparePriority(_heap[child + 1], _heap[child]) < 0) child++;
            int c = _heap[child];
            if (ComparePriority(c, t) >= 0) break;
            _heap[i] = c;
            _tasks[c].HeapIndex = i;
            i = child;
        }
        _heap[i] = t;
        _tasks[t].HeapIndex = i;
    }
}

namespace Shoal.Scheduling;

internal sealed partial class SchedulerState
{
    /// <summary>
    /// The wanter that keeps fire-and-forget tasks alive (Dask's "fire-and-forget" client): not a connected client, so
    /// nothing is ever sent to it; it wants a task until the task finishes or errs, then lets it go.
    /// </summary>
    internal const int FireAndForgetClient = -2;

    /// <summary>Tasks wanted by <see cref="FireAndForgetClient"/> now: zero makes the check in the transitions free.</summary>
    private int _fireAndForgetCount;

    /// <summary>
    /// A client asks that these keys run to completion even if it releases them or leaves (Dask's
    /// <c>fire_and_forget</c>). Keys already in memory, erred or unknown are left alone (there is nothing left to run).
    /// </summary>
    public void FireAndForget(IReadOnlyList<string> keys, double now)
    {
        Stimulus(StoryCause.FireAndForget, now);
        for (int k = 0; k < keys.Count; k++)
        {
            if (!_keyIndex.TryGetValue(keys[k], out int t)) continue;
            if (_tasks[t].State is TaskState.Memory or TaskState.Erred or TaskState.Forgotten) continue;
            if (AddWanter(t, FireAndForgetClient)) _fireAndForgetCount++;
            if (_tasks[t].State == TaskState.Released) MakeWaiting(t);
        }

        Settle();
    }

    /// <summary>The task finished or erred: the fire-and-forget want on it is done.</summary>
    private void DropFireAndForget(int task)
    {
        if (RemoveWanter(task, FireAndForgetClient)) _fireAndForgetCount--;
    }
}

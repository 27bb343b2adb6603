namespace Shoal.Scheduling;

// Keys kept alive for a coordination primitive: a future set as a Variable's value or put in a queue is wanted by a
// holder of its own (a client id no connection has, from the datasets' count), so its task is kept while the value is
// there, even after the client that put it released it or left.
internal sealed partial class SchedulerState
{
    /// <summary>A new holder id that no client connection has.</summary>
    public int NewKeyHolder() => _nextDatasetHolder--;

    /// <summary><paramref name="holder"/> wants <paramref name="key"/>; false (nothing held) when the scheduler does not know it.</summary>
    public bool HoldKey(int holder, string key, double now)
    {
        Stimulus(StoryCause.ClientHolds, now);
        if (!_keyIndex.TryGetValue(key, out int t) || !_tasks[t].Live) return false;
        AddWanter(t, holder);
        Settle();
        return true;
    }

    /// <summary><paramref name="holder"/> lets <paramref name="key"/> go: forgotten unless someone else wants it.</summary>
    public void LetGoKey(int holder, string key, double now)
    {
        Stimulus(StoryCause.KeysReleased, now);
        LetGo(holder, [key]);
        Settle();
    }
}

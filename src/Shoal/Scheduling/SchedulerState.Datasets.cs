namespace Shoal.Scheduling;

// Published datasets keep their keys alive: each publication wants its keys as a holder of its own (a client id no
// connection has, counted down from int.MaxValue), so that a client that published and left, or released its
// futures, loses nothing until the dataset is withdrawn. A client that gets a dataset wants its keys itself.
internal sealed partial class SchedulerState
{
    private readonly Dictionary<string, (int Holder, string[] Keys)> _datasets = new(StringComparer.Ordinal);
    private int _nextDatasetHolder = int.MaxValue;

    /// <summary>Holds <paramref name="keys"/> for dataset <paramref name="name"/> (over an earlier publication of that name,
    /// whose keys are let go after the new ones are held).</summary>
    /// <returns>The keys the scheduler does not know (not held).</returns>
    public IReadOnlyList<string> PublishDataset(string name, IReadOnlyList<string> keys, double now)
    {
        Stimulus(StoryCause.ClientHolds, now);
        int holder = _nextDatasetHolder--;
        var unknown = new List<string>();
        foreach (var key in keys)
        {
            if (_keyIndex.TryGetValue(key, out int t) && _tasks[t].Live) AddWanter(t, holder);
            else unknown.Add(key);
        }

        if (_datasets.TryGetValue(name, out var old)) LetGo(old.Holder, old.Keys);
        _datasets[name] = (holder, [.. keys]);
        Settle();
        return unknown;
    }

    /// <summary>Lets the keys of dataset <paramref name="name"/> go (they are forgotten unless someone else wants them).</summary>
    public void UnpublishDataset(string name, double now)
    {
        Stimulus(StoryCause.KeysReleased, now);
        if (!_datasets.Remove(name, out var old)) return;
        LetGo(old.Holder, old.Keys);
        Settle();
    }

    /// <summary><paramref name="client"/> wants keys that exist already (a dataset it got); returns those that do not.</summary>
    public IReadOnlyList<string> WantExisting(int client, IReadOnlyList<string> keys, double now)
    {
        Stimulus(StoryCause.ClientHolds, now);
        var unknown = new List<string>();
        foreach (var key in keys)
        {
            if (!_keyIndex.TryGetValue(key, out int t) || !_tasks[t].Live)
            {
                unknown.Add(key);
                continue;
            }

            AddWanter(t, client);
            switch (_tasks[t].State)
            {
                case TaskState.Memory: EmitToClient(SchedulerCommandKind.KeyInMemory, client, t); break;
                case TaskState.Erred: EmitToClient(SchedulerCommandKind.KeyErred, client, t); break;
            }
        }

        Settle();
        return unknown;
    }

    private void LetGo(int holder, string[] keys)
    {
        foreach (var key in keys)
        {
            if (_keyIndex.TryGetValue(key, out int t) && RemoveWanter(t, holder) && !IsNeeded(t)) _releaseCandidates.Add(t);
        }
    }
}

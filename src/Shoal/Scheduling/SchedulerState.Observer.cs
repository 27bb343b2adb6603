namespace Shoal.Scheduling;

// What the dashboard reads, copied out on the scheduler loop (never read from another thread):
// task counts per group and state, kept up to date by SetState at the cost of two array writes.
// A group's Forgotten count is cumulative (tasks of the group forgotten so far: done and released),
// the other states count live tasks.
internal sealed partial class SchedulerState
{
    /// <summary>Number of <see cref="TaskState"/> values: the stride of <see cref="_groupStates"/>.</summary>
    internal const int StateKinds = 9;

    private int[] _groupStates = new int[16 * StateKinds];

    private void CountGroupState(int group, TaskState old, TaskState now)
    {
        var counts = _groupStates;
        counts[group * StateKinds + (int)old]--;
        counts[group * StateKinds + (int)now]++;
    }

    private void CountNewInGroup(int group)
    {
        if ((group + 1) * StateKinds > _groupStates.Length) Array.Resize(ref _groupStates, Math.Max(_groupStates.Length * 2, (group + 1) * StateKinds));
        _groupStates[group * StateKinds + (int)TaskState.Released]++;
    }

    /// <summary>Task groups seen so far (they are never removed).</summary>
    internal int GroupCount => _groupCount;

    /// <summary>The name of group <paramref name="group"/> (0 .. <see cref="GroupCount"/>).</summary>
    internal string GroupName(int group) => _groupNames[group];

    /// <summary>Measured average duration of a group, -1 when none finished yet.</summary>
    internal double GroupDurationOf(int group) => _groupDuration[group];

    /// <summary>Copies the counts of tasks per group and state (<see cref="StateKinds"/> per group) into <paramref name="into"/>.</summary>
    internal void CopyGroupStateCounts(Span<int> into) => _groupStates.AsSpan(0, Math.Min(into.Length, _groupCount * StateKinds)).CopyTo(into);

    /// <summary>Copies the counts of tasks per state into <paramref name="into"/>.</summary>
    internal void CopyStateCounts(Span<int> into) => _stateCounts.AsSpan(0, Math.Min(into.Length, _stateCounts.Length)).CopyTo(into);

    /// <summary>
    /// The live tasks and their dependencies, for the dashboard's graph page; null when there are
    /// more than <paramref name="maxTasks"/> (the page then shows the groups only). O(tasks).
    /// </summary>
    internal (string[] Keys, TaskState[] States, int[][] Dependencies)? Graph(int maxTasks)
    {
        if (_keyIndex.Count > maxTasks) return null;
        var index = new Dictionary<int, int>(_keyIndex.Count);
        var keys = new List<string>(_keyIndex.Count);
        var states = new List<TaskState>(_keyIndex.Count);
        for (int t = 0; t < _taskHighWater; t++)
        {
            if (!_tasks[t].Live) continue;
            index[t] = keys.Count;
            keys.Add(_tasks[t].Key);
            states.Add(_tasks[t].State);
        }

        var deps = new int[keys.Count][];
        foreach (var (t, i) in index)
        {
            var d = _tasks[t].Dependencies ?? [];
            deps[i] = d.Where(index.ContainsKey).Select(x => index[x]).ToArray();
        }

        return ([.. keys], [.. states], deps);
    }

    /// <summary>The counts per group and state agree with the tasks (O(tasks), for <see cref="Validate"/>).</summary>
    private void ValidateGroupStateCounts()
    {
        var counts = new int[_groupCount * StateKinds];
        for (int t = 0; t < _taskHighWater; t++)
        {
            ref var r = ref _tasks[t];
            if (r.Live) counts[r.Group * StateKinds + (int)r.State]++;
        }

        for (int i = 0; i < counts.Length; i++)
            if (i % StateKinds != (int)TaskState.Forgotten) Check(counts[i] == _groupStates[i], $"group {_groupNames[i / StateKinds]}, state {(TaskState)(i % StateKinds)}: {_groupStates[i]} counted {counts[i]}");
    }
}

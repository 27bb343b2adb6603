namespace Shoal.Scheduling;

// Graph submission: interning keys, linking dependencies, and ordering.
internal sealed partial class SchedulerState
{
    private byte[] _mark = new byte[256];
    private int[] _specIds = new int[256];
    private readonly List<int> _newTasks = new();
    private readonly List<(int Task, string Missing)> _missingDependencies = new();
    private readonly List<(int Task, int Dependency)> _cycles = new();

    /// <summary>
    /// A client submits tasks. Keys already known are the same task (only the client's want is
    /// added; a key already in memory is reported at once). New tasks are ordered dependencies
    /// first, depth first from the graph's outputs, after every earlier graph.
    /// </summary>
    public void UpdateGraph(int client, IReadOnlyList<TaskSpecification> tasks, double now)
    {
        Stimulus(StoryCause.GraphSubmitted, now);
        ArgumentNullException.ThrowIfNull(tasks);
        var created = _newTasks;
        created.Clear();

        // 1. Intern keys; create records for new ones (growing the tables once for big graphs).
        EnsureTaskCapacity(tasks.Count);
        if (_specIds.Length < tasks.Count) _specIds = new int[Math.Max(tasks.Count, _specIds.Length * 2)];
        var ids = _specIds;
        for (int i = 0; i < tasks.Count; i++)
        {
            var spec = tasks[i];
            if (!_keyIndex.TryGetValue(spec.Key, out int t))
            {
                t = CreateTask(spec.Key, spec);
                created.Add(t);
            }
            ids[i] = t;
        }
        if (_mark.Length < _tasks.Length) _mark = new byte[_tasks.Length];

        // 2. Link dependencies of new tasks (all keys of this graph are known now).
        foreach (int t in created) _mark[t] = 1; // 1 = new, not yet ordered
        for (int i = 0; i < tasks.Count; i++)
        {
            var spec = tasks[i];
            int t = ids[i];
            if (_mark[t] != 1 || _tasks[t].Dependencies is not null) continue;
            var keys = spec.Dependencies;
            if (keys is null || keys.Length == 0) { _tasks[t].Dependencies = NoTasks; continue; }
            var deps = new int[keys.Length];
            int n = 0;
            foreach (var key in keys)
            {
                if (!_keyIndex.TryGetValue(key, out int d)) { _missingDependencies.Add((t, key)); continue; }
                if (Array.IndexOf(deps, d, 0, n) >= 0 || d == t) continue;
                deps[n++] = d;
                AddDependent(d, t);
            }
            if (n < deps.Length) Array.Resize(ref deps, n);
            _tasks[t].Dependencies = deps;
        }

        // 3. Order: depth-first post-order from the outputs (new tasks no new task depends on).
        foreach (int t in created)
        {
            foreach (int d in _tasks[t].Dependencies) if (_mark[d] == 1) _mark[d] = 2; // 2 = new, has a new dependent
        }
        foreach (int t in created)
            if (_mark[t] == 1) NumberDepthFirst(t);
        foreach (int t in created)
            if (_mark[t] == 2) NumberDepthFirst(t); // unreachable from any output: on a cycle
        BreakCycles();

        // 4. Wants.
        for (int i = 0; i < tasks.Count; i++)
        {
            var spec = tasks[i];
            if (!spec.Wanted) continue;
            int t = ids[i];
            AddWanter(t, client);
            // As Dask, report a finished key to every submitter, even one that wanted it already.
            switch (_tasks[t].State)
            {
                case TaskState.Memory: EmitToClient(SchedulerCommandKind.KeyInMemory, client, t); break;
                case TaskState.Erred: EmitToClient(SchedulerCommandKind.KeyErred, client, t); break;
            }
        }

        // 5. Errors for unknown dependencies, then bring what is needed to waiting.
        foreach (var (t, missing) in _missingDependencies)
            if (_tasks[t].State != TaskState.Erred) MarkErred(t, new MissingDependencyError(_tasks[t].Key, missing));
        _missingDependencies.Clear();
        foreach (var (t, _) in _cycles) // the rest of the cycle errs through its dependency on t
            if (_tasks[t].State != TaskState.Erred) MarkErred(t, new DependencyCycleError(_tasks[t].Key));
        _cycles.Clear();
        for (int i = 0; i < tasks.Count; i++)
        {
            int t = ids[i];
            if (!_tasks[t].Live) continue;
            if (_tasks[t].State == TaskState.Released && IsNeeded(t)) MakeWaiting(t);
        }
        foreach (int t in created)
        {
            _mark[t] = 0;
            if (!IsNeeded(t)) _releaseCandidates.Add(t);
        }
        created.Clear();
        Settle();
    }

    private int CreateTask(string key, TaskSpecification? spec)
    {
        int t = AllocateSlot();
        ref var r = ref _tasks[t];
        r = default;
        r.Key = key;
        r.Live = true;
        r.Dependencies = null!; // linked in step 2 (scatter: empty)
        r.Dependents = NoTasks;
        r.Nbytes = -1;
        r.Group = GroupIdOf(key);
        r.ProcessingOn = -1;
        r.ClientHolder = -1;
        r.ProcPrev = r.ProcNext = -1;
        r.HeapIndex = -1;
        r.StealThief = -1;
        r.Holder0 = r.Wanter0 = -1;
        r.Sequence = -1;
        if (spec is not null)
        {
            r.RunSpec = spec.RunSpec;
            r.UserPriority = spec.Priority;
            r.Retries = Math.Max(0, spec.Retries);
            r.Constraints = ConstraintsOf(spec);
        }
        r.State = TaskState.Released;
        _stateCounts[(int)TaskState.Released]++;
        CountNewInGroup(r.Group);
        _keyIndex.Add(key, t);
        return t;
    }

    private static TaskConstraints? ConstraintsOf(TaskSpecification spec)
    {
        bool hasWorkers = spec.Workers is { Length: > 0 };
        bool hasResources = spec.Resources is { Count: > 0 };
        if (!hasWorkers && !hasResources) return null;
        return new TaskConstraints
        {
            Workers = hasWorkers ? new HashSet<string>(spec.Workers!, StringComparer.Ordinal) : null,
            AllowOtherWorkers = spec.AllowOtherWorkers,
            Resources = hasResources ? spec.Resources!.ToArray() : null,
            ResourcesAsGiven = hasResources ? spec.Resources : null,
        };
    }

    private void AddDependent(int task, int dependent)
    {
        ref var r = ref _tasks[task];
        if (r.DependentCount == r.Dependents.Length)
            Array.Resize(ref r.Dependents, Math.Max(2, r.DependentCount * 2));
        r.Dependents[r.DependentCount++] = dependent;
    }

    /// <summary>Removes the edges that closed cycles, so the graph stays acyclic (and can be forgotten); their tasks err.</summary>
    private void BreakCycles()
    {
        foreach (var (t, d) in _cycles)
        {
            ref var r = ref _tasks[t];
            r.Dependencies = r.Dependencies.Where(x => x != d).ToArray();
            ref var dr = ref _tasks[d];
            int at = Array.IndexOf(dr.Dependents, t, 0, dr.DependentCount);
            if (at < 0) continue;
            dr.Dependents[at] = dr.Dependents[dr.DependentCount - 1];
            dr.DependentCount--;
        }
    }

    /// <summary>Gives new tasks sequence numbers in depth-first post-order (dependencies first), iteratively.</summary>
    private void NumberDepthFirst(int root)
    {
        var stack = _walk;
        int bottom = stack.Count;
        stack.Push(root);
        while (stack.Count > bottom)
        {
            int t = stack.Peek();
            if (_mark[t] == 3) // dependencies visited: number it
            {
                stack.Pop();
                _mark[t] = 4;
                _tasks[t].Sequence = _nextSequence++;
                continue;
            }
            if (_mark[t] == 4) { stack.Pop(); continue; }
            _mark[t] = 3;
            var deps = _tasks[t].Dependencies;
            for (int i = deps.Length - 1; i >= 0; i--) // reversed so the first dependency comes out first
            {
                int d = deps[i];
                if (_mark[d] is 1 or 2) stack.Push(d);
                else if (_mark[d] == 3) _cycles.Add((t, d)); // expanded but unfinished: an ancestor, so a cycle
            }
        }
    }
}

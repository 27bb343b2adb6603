namespace Shoal.Tests.Simulation;

/// <summary>How a simulated task fails.</summary>
internal enum SimFailure
{
    /// <summary>Never fails.</summary>
    None,
    /// <summary>Fails on each attempt with <see cref="SimTask.FailProbability"/>.</summary>
    Flaky,
    /// <summary>Fails on every attempt.</summary>
    Always,
    /// <summary>Kills the worker process that executes it, at once (its start report may die with it).</summary>
    KillsWorker,
}

/// <summary>
/// One task of the universe. Its value is <see cref="Constant"/> plus the values of its
/// dependencies, so every result can be checked; identical keys always have identical definitions.
/// </summary>
internal sealed class SimTask
{
    public required string Key { get; init; }
    public required string[] Dependencies { get; init; }
    public required long Constant { get; init; }
    public required long Nbytes { get; init; }
    public required double Duration { get; init; }
    public long Priority { get; init; }
    public int Retries { get; init; }
    public SimFailure Failure { get; init; }
    public double FailProbability { get; init; }
    public double RescheduleProbability { get; init; }
    public IReadOnlyDictionary<string, double>? Resources { get; init; }
}

/// <summary>One graph a client submits: the keys (closed under dependencies, dependencies first) and the ones it holds futures for.</summary>
internal sealed record SimGraph(IReadOnlyList<string> Keys, IReadOnlyList<string> Wanted, double SubmitAt);

/// <summary>A worker slot of the cluster: its name, threads, resources and slowness survive restarts.</summary>
internal sealed record SimWorkerSpec(string Name, int NThreads, IReadOnlyDictionary<string, double> Resources, double Slowness);

/// <summary>A fault planned at a simulated time.</summary>
internal enum SimFaultKind
{
    /// <summary>The worker process dies (its connections reset or close).</summary>
    Kill,
    /// <summary>The scheduler connection drops; the worker notices later and exits.</summary>
    DropConnection,
}

/// <summary>What happens to a client midway.</summary>
internal enum SimClientAction
{
    /// <summary>Cancels some of its pending keys.</summary>
    Cancel,
    /// <summary>Releases some of its keys (drops the futures).</summary>
    Release,
}

/// <summary>One simulated client: graphs, mid-way actions, and how it leaves.</summary>
internal sealed record SimClientPlan(
    IReadOnlyList<SimGraph> Graphs,
    IReadOnlyList<(double At, SimClientAction Action, double Fraction)> Actions,
    bool LeavesByDisconnecting);

/// <summary>
/// A whole scenario drawn from a seed: the task universe, the cluster, the clients and the faults.
/// </summary>
internal sealed class SimWorkload
{
    public Dictionary<string, SimTask> Tasks { get; } = new(StringComparer.Ordinal);
    public List<SimWorkerSpec> Workers { get; } = new();
    public List<SimClientPlan> Clients { get; } = new();
    public List<(double At, SimFaultKind Kind, int WorkerIndex)> Faults { get; } = new();
    public double WorkerSaturation { get; set; }
    public int AllowedFailures { get; set; }
    public bool WorkStealing { get; set; }
    public bool ReuseAddressOnRestart { get; set; }
    public double RoundTrip { get; set; }

    /// <summary>The value every correct computation of a key produces.</summary>
    public long Expected(string key)
    {
        if (_expected.TryGetValue(key, out long v)) return v;
        var t = Tasks[key];
        v = t.Constant;
        foreach (var d in t.Dependencies) v += Expected(d);
        _expected[key] = v;
        return v;
    }

    /// <summary>Whether a key or any of its ancestors may fail by itself.</summary>
    public bool MayFail(string key)
    {
        if (_mayFail.TryGetValue(key, out bool f)) return f;
        var t = Tasks[key];
        f = t.Failure != SimFailure.None || t.Dependencies.Any(MayFail);
        _mayFail[key] = f;
        return f;
    }

    /// <summary>Whether <paramref name="ancestor"/> is <paramref name="key"/> or one of its (transitive) dependencies.</summary>
    public bool DependsOn(string key, string ancestor)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var walk = new Stack<string>();
        walk.Push(key);
        while (walk.Count > 0)
        {
            var k = walk.Pop();
            if (k == ancestor) return true;
            if (!seen.Add(k)) continue;
            foreach (var d in Tasks[k].Dependencies) walk.Push(d);
        }
        return false;
    }

    private readonly Dictionary<string, long> _expected = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _mayFail = new(StringComparer.Ordinal);

    /// <summary>Draws a scenario. Everything random comes from <paramref name="rng"/>.</summary>
    /// <param name="rng">The seeded source.</param>
    /// <param name="chains">Chains only (whole, or submitted link by link as client.Submit does), some links with a
    /// second input, always with stealing and with more kills, connection drops, cancels and releases: the scenarios
    /// of ahead-of-time assignment.</param>
    public static SimWorkload Generate(Random rng, bool chains = false)
    {
        var w = new SimWorkload
        {
            WorkerSaturation = rng.Next(3) == 0 ? double.PositiveInfinity : 1.1,
            AllowedFailures = rng.Next(1, 4),
            WorkStealing = chains || rng.Next(5) != 0,
            ReuseAddressOnRestart = rng.Next(2) == 0,
            RoundTrip = 0.001 * rng.Next(1, 10),
        };

        bool gpu = rng.Next(3) == 0;
        int nworkers = rng.Next(1, 6);
        for (int i = 0; i < nworkers; i++)
        {
            var resources = new Dictionary<string, double>(StringComparer.Ordinal);
            if (gpu && (i == 0 || rng.Next(2) == 0)) resources["GPU"] = rng.Next(1, 3);
            double slowness = rng.Next(4) == 0 ? 5 + rng.NextDouble() * 15 : 1;
            w.Workers.Add(new SimWorkerSpec($"w{i}", rng.Next(1, 4), resources, slowness));
        }

        var shared = new List<string>();
        int sharedCount = rng.Next(0, 6);
        for (int i = 0; i < sharedCount; i++)
        {
            var key = $"shared-{i}";
            w.Tasks[key] = w.NewTask(rng, key, [], gpu, failures: false);
            shared.Add(key);
        }

        int nclients = rng.Next(1, 4);
        int graphId = 0;
        var earlier = new List<SimGraph>();
        for (int c = 0; c < nclients; c++)
        {
            var graphs = new List<SimGraph>();
            int ngraphs = rng.Next(1, 4);
            for (int g = 0; g < ngraphs; g++)
            {
                double at = rng.NextDouble() * 0.5;
                if (earlier.Count > 0 && rng.Next(4) == 0)
                {
                    var copy = earlier[rng.Next(earlier.Count)]; // identical keys from another graph (maybe another client)
                    graphs.Add(copy with { SubmitAt = at });
                    continue;
                }
                if (chains)
                {
                    var links = w.NewChainGraphs(rng, graphId++, shared, gpu, at);
                    graphs.AddRange(links);
                    earlier.Add(links[^1]);
                    continue;
                }
                var graph = w.NewGraph(rng, graphId++, shared, gpu, at);
                graphs.Add(graph);
                earlier.Add(graph);
            }

            var actions = new List<(double, SimClientAction, double)>();
            int nactions = chains ? rng.Next(1, 4) : rng.Next(4) == 0 ? rng.Next(1, 3) : 0;
            for (int i = 0; i < nactions; i++)
                actions.Add((rng.NextDouble() * 1.0, rng.Next(2) == 0 ? SimClientAction.Cancel : SimClientAction.Release, rng.NextDouble() * 0.5));
            w.Clients.Add(new SimClientPlan(graphs, actions, rng.Next(3) == 0));
        }

        int nfaults = chains ? rng.Next(1, 7) : rng.Next(3) == 0 ? 0 : rng.Next(1, 5);
        for (int i = 0; i < nfaults; i++)
            w.Faults.Add((rng.NextDouble() * 1.5, rng.Next(3) == 0 ? SimFaultKind.DropConnection : SimFaultKind.Kill, rng.Next(nworkers)));
        w.Faults.Sort((a, b) => a.At.CompareTo(b.At));
        return w;
    }

    /// <summary>
    /// The failure pattern of issue 10 at simulation scale: a map of tiny tasks and its pairwise tree reduction,
    /// wanted at the root, while a worker is killed every interval (its nanny restarts it under the same name, with
    /// or without its result journal). Tasks are much shorter than the interval and never fail by themselves, so
    /// with the default allowed failures (3) every scenario must end with the right sum: deaths of workers that
    /// merely held a task queued must not count against it.
    /// </summary>
    public static SimWorkload GeneratePeriodicKills(Random rng)
    {
        var w = new SimWorkload
        {
            WorkerSaturation = rng.Next(3) == 0 ? double.PositiveInfinity : 1.1,
            AllowedFailures = 3,
            WorkStealing = rng.Next(2) == 0,
            ReuseAddressOnRestart = rng.Next(2) == 0,
            RoundTrip = 0.001 * rng.Next(1, 10),
        };
        int nworkers = rng.Next(2, 5);
        for (int i = 0; i < nworkers; i++)
            w.Workers.Add(new SimWorkerSpec($"w{i}", rng.Next(1, 3), new Dictionary<string, double>(StringComparer.Ordinal), 1));

        var keys = new List<string>();
        SimTask Tiny(string key, string[] deps) => new()
        {
            Key = key,
            Dependencies = deps,
            Constant = rng.Next(1, 1000),
            Nbytes = 8,
            Duration = 0.0002 + rng.NextDouble() * 0.0018,
        };
        var level = new List<string>();
        int n = rng.Next(50, 150);
        for (int i = 0; i < n; i++)
        {
            var key = $"inc-{i}";
            w.Tasks[key] = Tiny(key, []);
            keys.Add(key);
            level.Add(key);
        }
        for (int depth = 1; level.Count > 1; depth++)
        {
            var next = new List<string>();
            for (int i = 0; i < level.Count; i += 2)
            {
                var key = $"sum{depth}-{i / 2}";
                w.Tasks[key] = Tiny(key, level.Skip(i).Take(2).ToArray());
                keys.Add(key);
                next.Add(key);
            }
            level = next;
        }
        w.Clients.Add(new SimClientPlan([new SimGraph(keys, [level[0]], 0.01)], [], LeavesByDisconnecting: false));

        double interval = 0.02 + rng.NextDouble() * 0.1;
        for (double at = interval; at < 1.0; at += interval)
            w.Faults.Add((at, SimFaultKind.Kill, rng.Next(nworkers)));
        return w;
    }

    private SimTask NewTask(Random rng, string key, string[] deps, bool gpu, bool failures)
    {
        var failure = SimFailure.None;
        if (failures)
        {
            int f = rng.Next(80);
            failure = f < 4 ? SimFailure.Always : f < 12 ? SimFailure.Flaky : f == 12 ? SimFailure.KillsWorker : SimFailure.None;
        }
        return new SimTask
        {
            Key = key,
            Dependencies = deps,
            Constant = rng.Next(1, 1000),
            Nbytes = rng.Next(4) == 0 ? rng.Next(1, 50_000_000) : rng.Next(8, 10_000),
            Duration = 0.001 + rng.NextDouble() * (rng.Next(5) == 0 ? 0.2 : 0.02),
            Priority = rng.Next(6) == 0 ? rng.Next(-2, 3) : 0,
            Retries = rng.Next(3) == 0 ? rng.Next(1, 4) : 0,
            Failure = failure,
            FailProbability = failure == SimFailure.Flaky ? 0.2 + rng.NextDouble() * 0.5 : 0,
            RescheduleProbability = rng.Next(30) == 0 ? 0.3 : 0,
            Resources = gpu && rng.Next(5) == 0 ? new Dictionary<string, double>(StringComparer.Ordinal) { ["GPU"] = 1 } : null,
        };
    }

    /// <summary>
    /// A chain, some links taking a second input (an earlier link, or a shared one): one graph, or one graph per link
    /// submitted a little after the previous one (each carrying the links before it, as a client resubmits what it
    /// holds futures of), wanting the last link or every link.
    /// </summary>
    private List<SimGraph> NewChainGraphs(Random rng, int id, List<string> shared, bool gpu, double at)
    {
        int n = rng.Next(2, 30);
        var links = new List<string>();
        for (int i = 0; i < n; i++)
        {
            var deps = new List<string>();
            if (i > 0) deps.Add(links[i - 1]);
            if (rng.Next(6) == 0 && i > 1) deps.Add(links[rng.Next(i - 1)]);
            else if (rng.Next(6) == 0 && shared.Count > 0) deps.Add(shared[rng.Next(shared.Count)]);
            var key = $"chain{id}-{i}";
            Tasks[key] = NewTask(rng, key, deps.ToArray(), gpu, failures: true);
            links.Add(key);
        }
        bool wantAll = rng.Next(2) == 0;
        var closedShared = links.SelectMany(k => Tasks[k].Dependencies).Where(d => d.StartsWith("shared-", StringComparison.Ordinal)).Distinct().ToList();
        if (rng.Next(2) == 0)
            return [new SimGraph([.. closedShared, .. links], wantAll ? links : [links[^1]], at)];
        var graphs = new List<SimGraph>();
        double step = rng.NextDouble() * 0.01;
        for (int i = 0; i < n; i++)
        {
            var upTo = links.Take(i + 1).ToList();
            var sharedUpTo = upTo.SelectMany(k => Tasks[k].Dependencies).Where(d => d.StartsWith("shared-", StringComparison.Ordinal)).Distinct();
            graphs.Add(new SimGraph([.. sharedUpTo, .. upTo], [links[i]], at + i * step));
        }
        return graphs;
    }

    private SimGraph NewGraph(Random rng, int id, List<string> shared, bool gpu, double at)
    {
        var keys = new List<string>();
        string Add(string key, string[] deps)
        {
            Tasks[key] = NewTask(rng, key, deps, gpu, failures: true);
            keys.Add(key);
            return key;
        }
        string[] SomeShared() =>
            shared.Count > 0 && rng.Next(3) == 0 ? [shared[rng.Next(shared.Count)]] : [];

        int shape = rng.Next(4);
        int n = rng.Next(2, 25);
        switch (shape)
        {
            case 0: // map, maybe over a shared input
                for (int i = 0; i < n; i++) Add($"map{id}-{i}", SomeShared());
                break;
            case 1: // tree reduction
            {
                var level = new List<string>();
                for (int i = 0; i < n; i++) level.Add(Add($"leaf{id}-{i}", SomeShared()));
                int j = 0;
                while (level.Count > 1)
                {
                    var next = new List<string>();
                    int fan = rng.Next(2, 5);
                    for (int i = 0; i < level.Count; i += fan)
                        next.Add(Add($"sum{id}-{j++}", level.Skip(i).Take(fan).ToArray()));
                    level = next;
                }
                break;
            }
            case 2: // chain
            {
                string? prev = null;
                for (int i = 0; i < n; i++) prev = Add($"chain{id}-{i}", prev is null ? SomeShared() : [prev]);
                break;
            }
            default: // random DAG with shared dependencies
            {
                var nodes = new List<string>();
                for (int i = 0; i < n; i++)
                {
                    var deps = new HashSet<string>(StringComparer.Ordinal);
                    int nd = nodes.Count == 0 ? 0 : rng.Next(0, Math.Min(4, nodes.Count + 1));
                    for (int k = 0; k < nd; k++) deps.Add(nodes[rng.Next(nodes.Count)]);
                    foreach (var s in SomeShared()) deps.Add(s);
                    nodes.Add(Add($"dag{id}-{i}", deps.OrderBy(x => x, StringComparer.Ordinal).ToArray()));
                }
                break;
            }
        }

        // Closed under dependencies (shared inputs included), dependencies first.
        var closed = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Visit(string k)
        {
            if (!seen.Add(k)) return;
            foreach (var d in Tasks[k].Dependencies) Visit(d);
            closed.Add(k);
        }
        foreach (var k in keys) Visit(k);

        List<string> wanted;
        if (rng.Next(2) == 0) wanted = closed.Where(k => keys.Contains(k)).ToList();
        else
        {
            var hasDependent = new HashSet<string>(keys.SelectMany(k => Tasks[k].Dependencies), StringComparer.Ordinal);
            wanted = keys.Where(k => !hasDependent.Contains(k) || rng.Next(8) == 0).ToList();
        }
        return new SimGraph(closed, wanted, at);
    }
}

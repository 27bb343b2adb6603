using Shoal.Execution;

namespace Shoal.Tests.Execution;

/// <summary>
/// Drives <see cref="WorkerState"/> with long fixed-seed random sequences of valid events, playing both the server
/// (which carries out the instructions and keeps a value store) and the scheduler. The state validates itself after
/// every event; the test also checks the instructions against the simulated server.
/// </summary>
public class WorkerStateRandomizedTests
{
    private static readonly string[] Peers = ["p1", "p2", "p3", "p4"];

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(4, 1)]
    [InlineData(5, 4)]
    public void Random_event_sequences_keep_the_state_valid(int seed, int nthreads)
    {
        var sim = new Simulation(seed, nthreads);
        for (int step = 0; step < 2000; step++) sim.Step(step);
        sim.Drain();
    }

    private sealed class Simulation
    {
        private readonly Random _rng;
        private readonly WorkerState _ws;
        private readonly int _nthreads;
        private readonly List<string> _keys = new();
        private readonly HashSet<string> _executing = new();
        private readonly Dictionary<string, IReadOnlyList<string>> _gathers = new();
        private readonly HashSet<string> _store = new();
        private readonly HashSet<string> _freed = new();
        private readonly Dictionary<string, int> _seen = new();
        private double _now;
        private bool _paused;

        public Simulation(int seed, int nthreads)
        {
            _rng = new Random(seed);
            _nthreads = nthreads;
            _ws = new WorkerState(new WorkerStateConfig
            {
                Address = "self",
                NThreads = nthreads,
                Resources = new Dictionary<string, double> { ["GPU"] = 1 },
                TransferIncomingCountLimit = 2,
                TransferMessageTargetBytes = 100,
                ValidateAfterEveryEvent = true,
            });
        }

        public void Step(int step)
        {
            _now += 0.001;
            int roll = _rng.Next(100);
            string context = $"step {step}, roll {roll}";
            try
            {
                if (roll < 25) NewTask();
                else if (roll < 30 && _keys.Count > 0) Resubmit();
                else if (roll < 50 && _executing.Count > 0) FinishExecution();
                else if (roll < 65 && _gathers.Count > 0) FinishGather();
                else if (roll < 75 && _keys.Count > 0) Free();
                else if (roll < 80 && _keys.Count > 0) Apply(_ws.StealRequest(Pick(_keys), 0, _now));
                else if (roll < 86) AnswerMissing();
                else if (roll < 90) Put();
                else if (roll < 92) Apply((_paused = !_paused) ? _ws.Pause() : _ws.Unpause());
                else if (roll < 94 && _executing.Count > 0) Reschedule();
                else if (roll < 97) Apply(_ws.FindMissing(_now));
                else NewTask();
            }
            catch (Exception e) when (e is not ShouldAssertException)
            {
                throw new InvalidOperationException($"{context}: {e.Message}", e);
            }
        }

        public void Drain()
        {
            if (_paused)
            {
                _paused = false;
                Apply(_ws.Unpause());
            }
            for (int round = 0; round < 10_000 && (_executing.Count > 0 || _gathers.Count > 0 || _ws.MissingKeys.Any()); round++)
            {
                _now += 0.001;
                if (_executing.Count > 0)
                {
                    var key = _executing.First();
                    _executing.Remove(key);
                    _store.Add(key);
                    Apply(_ws.ExecuteSuccess(key, 1, _now, _now));
                }
                else if (_gathers.Count > 0)
                {
                    var (peer, keys) = _gathers.First();
                    _gathers.Remove(peer);
                    foreach (var k in keys) _store.Add(k);
                    Apply(_ws.GatherSuccess(peer, keys.Select(k => new KeyValuePair<string, long>(k, 1)).ToArray(), [], _now));
                }
                else
                {
                    foreach (var key in _ws.MissingKeys.ToArray()) Apply(_ws.UpdateWhoHas(key, ["p1"], _now));
                }
            }
            _executing.ShouldBeEmpty();
            _gathers.ShouldBeEmpty();
            _ws.MissingKeys.ShouldBeEmpty();
            _ws.Executing.ShouldBe(0);
            _ws.ReadyCount.ShouldBe(0);
            _ws.TransferIncomingCount.ShouldBe(0);
            // Nothing leaked: the store holds exactly what the state says is in memory.
            var inMemory = _ws.DataKeys.Select(kv => kv.Key).ToHashSet();
            var leaked = _store.Where(k => !inMemory.Contains(k)).Select(k => $"{k}:{_ws.StateOf(k)?.ToString() ?? "untracked"}");
            leaked.ShouldBeEmpty("stored values the state does not hold");
            inMemory.Where(k => !_store.Contains(k)).ShouldBeEmpty("values in memory that the store lacks");
            // The generator reached every kind of outcome.
            string[] kinds = ["Execute", "GatherDep", "TaskDoneMsg", "TaskFailedMsg", "MissingDataMsg", "StealTrue",
                "StealFalse", "ReleaseData", "RescheduleMsg", "AddKeysMsg", "RequestWhoHasMsg",
                .. Enum.GetValues<WorkerTaskState>().Where(st => st != WorkerTaskState.Released).Select(st => "state:" + st)];
            kinds.Where(k => !_seen.ContainsKey(k)).ShouldBeEmpty($"seen: {string.Join(", ", _seen)}");
        }

        private string Pick(IReadOnlyList<string> list) => list[_rng.Next(list.Count)];

        private ComputeRequest Request(string key, int index)
        {
            var deps = new List<DependencySpec>();
            int ndeps = index == 0 ? 0 : _rng.Next(4);
            for (int i = 0; i < ndeps; i++)
            {
                // Only earlier keys, so the graph stays acyclic.
                string dep = _keys[PickIndex(index)];
                var holders = Peers.Where(_ => _rng.Next(3) == 0).ToList();
                if (_rng.Next(20) == 0) holders.Add("self");
                deps.Add(new DependencySpec(dep, _rng.Next(1, 80), holders));
            }
            IReadOnlyDictionary<string, double>? resources =
                _rng.Next(10) == 0 ? new Dictionary<string, double> { ["GPU"] = 1 } : null;
            return new ComputeRequest(key, TestPayloads.Run("spec"), _rng.Next(10), deps, resources);
        }

        private void NewTask()
        {
            string key = "k" + _keys.Count;
            _keys.Add(key);
            _freed.Remove(key);
            Apply(_ws.ComputeTask(Request(key, _keys.Count - 1), _now));
        }

        /// <summary>Index of a random key, biased toward keys whose gather or execution is still running, to reach
        /// the cancelled and resumed transitions often.</summary>
        private int PickIndex(int below)
        {
            if (_rng.Next(2) == 0)
            {
                var busy = Enumerable.Range(0, below)
                    .Where(i => _ws.StateOf(_keys[i]) is WorkerTaskState.Flight or WorkerTaskState.Cancelled)
                    .ToList();
                if (busy.Count > 0) return busy[_rng.Next(busy.Count)];
            }
            return _rng.Next(below);
        }

        private void Resubmit()
        {
            int index = PickIndex(_keys.Count);
            _freed.Remove(_keys[index]);
            Apply(_ws.ComputeTask(Request(_keys[index], index), _now));
        }

        private void FinishExecution()
        {
            var key = _executing.ElementAt(_rng.Next(_executing.Count));
            _executing.Remove(key);
            if (_rng.Next(5) == 0)
            {
                Apply(_ws.ExecuteFailure(key, TestPayloads.Error("error"), _now, _now));
            }
            else
            {
                _store.Add(key);
                Apply(_ws.ExecuteSuccess(key, _rng.Next(1, 50), _now, _now));
            }
        }

        private void Reschedule()
        {
            var key = _executing.ElementAt(_rng.Next(_executing.Count));
            _executing.Remove(key);
            Apply(_ws.Reschedule(key, _now));
        }

        private void FinishGather()
        {
            var (peer, keys) = _gathers.ElementAt(_rng.Next(_gathers.Count));
            _gathers.Remove(peer);
            if (_rng.Next(10) < 7)
            {
                var received = new List<KeyValuePair<string, long>>();
                var missing = new List<string>();
                foreach (var k in keys)
                {
                    if (_rng.Next(100) < 85) received.Add(new(k, _rng.Next(1, 50)));
                    else if (_rng.Next(2) == 0) missing.Add(k);
                }
                foreach (var kv in received) _store.Add(kv.Key);
                Apply(_ws.GatherSuccess(peer, received, missing, _now));
            }
            else
            {
                Apply(_ws.GatherFailure(peer, keys, "network", _now));
            }
        }

        private void Free()
        {
            var keys = new[] { Pick(_keys), Pick(_keys) };
            foreach (var k in keys) _freed.Add(k);
            Apply(_ws.FreeKeys(keys, _now));
        }

        private void AnswerMissing()
        {
            var missing = _ws.MissingKeys.ToArray();
            if (missing.Length == 0) return;
            var holders = Peers.Where(_ => _rng.Next(2) == 0).ToArray();
            Apply(_ws.UpdateWhoHas(missing[_rng.Next(missing.Length)], holders, _now));
        }

        private void Put()
        {
            string key = _keys.Count > 0 && _rng.Next(2) == 0 ? Pick(_keys) : "k" + _keys.Count;
            if (key == "k" + _keys.Count) _keys.Add(key);
            _freed.Remove(key);
            _store.Add(key);
            Apply(_ws.DataPut([new KeyValuePair<string, long>(key, _rng.Next(1, 50))], _now));
        }

        /// <summary>Carries out the instructions like a server would, checking they make sense.</summary>
        private void Apply(IReadOnlyList<WorkerInstruction> instructions)
        {
            foreach (var instruction in instructions)
            {
                string kind = instruction is StealResponseMsg s ? $"Steal{s.Accepted}" : instruction.GetType().Name;
                _seen[kind] = _seen.GetValueOrDefault(kind) + 1;
                switch (instruction)
                {
                    case Execute e:
                        _executing.Add(e.Key).ShouldBeTrue($"{e.Key} started twice");
                        _paused.ShouldBeFalse("started a task while paused");
                        break;
                    case GatherDep g:
                        _gathers.TryAdd(g.Peer, g.Keys).ShouldBeTrue($"second gather to {g.Peer}");
                        g.Keys.ShouldNotBeEmpty();
                        g.Peer.ShouldNotBe("self");
                        break;
                    case RequestWhoHasMsg w:
                        w.Keys.ShouldNotBeEmpty();
                        break;
                    case ReleaseData r:
                        _store.Remove(r.Key).ShouldBeTrue($"released {r.Key}, which is not stored");
                        break;
                    case TaskDoneMsg d:
                        _freed.ShouldNotContain(d.Key, "reported a freed key");
                        _store.ShouldContain(d.Key);
                        break;
                    case TaskFailedMsg f:
                        _freed.ShouldNotContain(f.Key, "reported a freed key");
                        break;
                }
            }
            _executing.Count.ShouldBeLessThanOrEqualTo(_nthreads);
            _gathers.Count.ShouldBeLessThanOrEqualTo(2);
            _ws.Executing.ShouldBe(_executing.Count);
            _ws.TransferIncomingCount.ShouldBe(_gathers.Count);
            foreach (var kv in _ws.DataKeys) _store.ShouldContain(kv.Key);
            foreach (var key in _keys)
            {
                if (_ws.StateOf(key) is { } state) _seen["state:" + state] = 1;
            }
        }
    }
}

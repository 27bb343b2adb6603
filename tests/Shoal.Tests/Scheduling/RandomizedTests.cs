using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>
/// Feeds long seeded sequences of random (and sometimes stale or contradictory) events; the
/// harness checks every invariant after each one. At the end every task must be able to finish
/// and, once released, nothing may be left behind.
/// </summary>
public class RandomizedTests
{
    public static TheoryData<int> Seeds() => new(Enumerable.Range(1, 40));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_events_keep_the_state_consistent_and_everything_completes(int seed)
    {
        var rng = new Random(seed);
        var h = new SchedulerHarness(new SchedulerConfig
        {
            WorkerSaturation = rng.Next(3) == 0 ? double.PositiveInfinity : 1.1,
            AllowedFailures = 2,
            RoundTrip = 0.01,
        });
        h.State.AddClient(2);
        var clients = new List<int> { 1, 2 };
        int nextClient = 3;
        var steals = new List<(int Victim, string Key)>();
        string[] prefixes = ["a", "b", "c", "d"];
        string RandomKey() => $"{prefixes[rng.Next(prefixes.Length)]}-{rng.Next(30)}";

        void Note(List<string> commands)
        {
            foreach (var c in commands)
            {
                var p = c.Split(' ');
                if (p[0] == "StealRequest") steals.Add((int.Parse(p[1][1..]), p[2]));
            }
        }

        List<(int Worker, string Key)> Processing()
        {
            var list = new List<(int, string)>();
            foreach (int w in h.State.Workers) foreach (var k in h.Processing(w)) list.Add((w, k));
            return list;
        }

        List<string> MemoryKeys()
        {
            var list = new List<string>();
            foreach (int w in h.State.Workers) foreach (int t in h.State.HasWhat(w)) list.Add(h.State.KeyOf(t));
            return list;
        }

        WorkerSpec RandomWorker(int id) => Spec($"w{id}", rng.Next(1, 4),
            rng.Next(3) == 0 ? new Dictionary<string, double> { ["GPU"] = rng.Next(1, 3) } : null,
            rng.Next(4) == 0 ? [(RandomKey(), 8L)] : []);

        for (int step = 0; step < 400; step++)
        {
            h.Now = step * 0.01;
            int roll = rng.Next(100);
            if (roll < 15)
            {
                var batch = new List<TaskSpecification>();
                var batchKeys = new List<string>();
                int n = rng.Next(1, 7);
                for (int i = 0; i < n; i++)
                {
                    string key = RandomKey();
                    var deps = new List<string>();
                    if (h.State.StateOf(key) is null && !batchKeys.Contains(key))
                    {
                        for (int d = rng.Next(3); d > 0; d--)
                        {
                            if (batchKeys.Count > 0 && rng.Next(2) == 0) deps.Add(batchKeys[rng.Next(batchKeys.Count)]);
                            else
                            {
                                var k = RandomKey();
                                if (k != key && (h.State.StateOf(k) is not null || rng.Next(20) == 0)) deps.Add(k);
                            }
                        }
                    }
                    var t = new TaskSpecification
                    {
                        Key = key,
                        Dependencies = deps.Distinct().ToArray(),
                        Wanted = rng.Next(3) > 0,
                        Priority = rng.Next(3),
                        Retries = rng.Next(2),
                    };
                    if (rng.Next(10) == 0) t.Resources = new Dictionary<string, double> { ["GPU"] = 1 };
                    if (rng.Next(10) == 0) { t.Workers = ["w1"]; t.AllowOtherWorkers = rng.Next(2) == 0; }
                    batch.Add(t);
                    batchKeys.Add(key);
                }
                Note(h.Submit(clients[rng.Next(clients.Count)], batch.ToArray()));
            }
            else if (roll < 50)
            {
                var p = Processing();
                if (p.Count > 0)
                {
                    var (w, k) = p[rng.Next(p.Count)];
                    Note(h.Finish(w, k, nbytes: rng.Next(1, 1000), duration: rng.NextDouble() * 0.01));
                }
            }
            else if (roll < 54)
            {
                var p = Processing();
                if (p.Count > 0) { var (w, k) = p[rng.Next(p.Count)]; Note(h.Err(w, k, "boom")); }
            }
            else if (roll < 60)
            {
                int id = rng.Next(5);
                if (h.State.Workers.Contains(id)) Note(h.RemoveWorker(id, "random"));
                else Note(h.AddWorker(id, RandomWorker(id)));
            }
            else if (roll < 66)
            {
                var keys = Enumerable.Range(0, rng.Next(1, 4)).Select(_ => RandomKey()).ToArray();
                int c = clients[rng.Next(clients.Count)];
                Note(rng.Next(2) == 0 ? h.Release(c, keys) : h.Cancel(c, keys));
            }
            else if (roll < 70)
            {
                var m = MemoryKeys();
                if (m.Count > 0)
                {
                    var k = m[rng.Next(m.Count)];
                    var holders = h.Holders(k);
                    int holder = rng.Next(3) == 0 ? -1 : holders[rng.Next(holders.Length)];
                    Note(h.Missing(h.State.Workers[rng.Next(h.State.Workers.Count)], k, holder));
                }
            }
            else if (roll < 78)
            {
                Note(h.Tick());
            }
            else if (roll < 84)
            {
                if (steals.Count > 0)
                {
                    int i = rng.Next(steals.Count);
                    var (victim, key) = steals[i];
                    steals.RemoveAt(i);
                    Note(h.StealResponse(victim, key, rng.Next(2) == 0));
                }
            }
            else if (roll < 87)
            {
                if (h.State.Workers.Count > 0)
                {
                    var targets = h.State.Workers.Where(_ => rng.Next(2) == 0).ToArray();
                    if (targets.Length == 0) targets = [h.State.Workers[0]];
                    Note(h.Scatter(clients[rng.Next(clients.Count)], targets, rng.Next(4) > 0, ($"s-{rng.Next(10)}", rng.Next(1, 100))));
                }
            }
            else if (roll < 90)
            {
                var m = MemoryKeys();
                if (m.Count > 0 && h.State.Workers.Count > 0)
                    Note(h.AddKeys(h.State.Workers[rng.Next(h.State.Workers.Count)], (m[rng.Next(m.Count)], 8), (RandomKey(), 8)));
            }
            else if (roll < 93)
            {
                var p = Processing();
                if (p.Count > 0) { var (w, k) = p[rng.Next(p.Count)]; Note(h.Reschedule(w, k)); }
            }
            else if (roll < 95)
            {
                // A stale finish from a worker that does not run the task.
                if (h.State.Workers.Count > 0)
                    Note(h.Finish(h.State.Workers[rng.Next(h.State.Workers.Count)], RandomKey()));
            }
            else if (roll < 97)
            {
                int c = clients[rng.Next(clients.Count)];
                Note(h.RemoveClient(c));
                clients.Remove(c);
                clients.Add(nextClient);
                h.State.AddClient(nextClient++);
            }
            else
            {
                foreach (int w in h.State.Workers) h.State.Heartbeat(w, new WorkerLoad(1, 2, 3, 4, 5), h.Now);
                h.State.Validate();
            }
        }

        // Drain: every restriction can be met, steals are answered, everything runs to the end.
        foreach (int id in new[] { 1, 7 })
        {
            if (h.State.Workers.Contains(id)) Note(h.RemoveWorker(id, "replaced by one with a GPU"));
            Note(h.AddWorker(id, Spec($"w{id}", 2, new Dictionary<string, double> { ["GPU"] = 2 })));
        }
        for (int guard = 0; guard < 100_000; guard++)
        {
            if (steals.Count > 0)
            {
                var (victim, key) = steals[^1];
                steals.RemoveAt(steals.Count - 1);
                Note(h.StealResponse(victim, key, false));
                continue;
            }
            var p = Processing();
            if (p.Count == 0) break;
            Note(h.Finish(p[0].Worker, p[0].Key));
        }
        foreach (var s in new[] { TaskState.Waiting, TaskState.Queued, TaskState.NoWorker, TaskState.Processing })
            h.State.CountInState(s).ShouldBe(0, $"tasks stuck in {s}: {h.State.Describe()}");

        foreach (int c in clients.ToArray()) h.RemoveClient(c);
        h.State.TaskCount.ShouldBe(0);
        foreach (int w in h.State.Workers) h.State.HasWhat(w).ShouldBeEmpty();
    }
}

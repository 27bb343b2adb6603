using Shoal.Scheduling;

namespace Shoal.Tests.Simulation;

// Clients: they submit graphs, cancel or release keys midway, check what they are told, and
// leave (releasing everything, or by disconnecting) once each key they hold is final.
internal sealed partial class Simulation
{
    private void StartClient(SimClientPlan plan)
    {
        int id = _nextSessionId++;
        var c = new SimClient(id, plan) { ToScheduler = NewLink($"c{id}->s"), FromScheduler = NewLink($"s->c{id}") };
        _clients.Add(c);
        SendToScheduler(c.ToScheduler, $"client {id} connected", () => _scheduler.AddClient(id));
        foreach (var graph in plan.Graphs) _clock.At(graph.SubmitAt, () => Submit(c, graph));
        foreach (var (at, action, fraction) in plan.Actions) _clock.At(at, () => Act(c, action, fraction));
    }

    private void Submit(SimClient c, SimGraph graph)
    {
        if (c.Left) return;
        var wanted = new HashSet<string>(graph.Wanted, StringComparer.Ordinal);
        var specs = graph.Keys.Select(k =>
        {
            var t = _workload.Tasks[k];
            return new TaskSpecification
            {
                Key = k,
                Dependencies = t.Dependencies,
                RunSpec = TestPayloads.Run(k),
                Priority = t.Priority,
                Retries = t.Retries,
                Resources = t.Resources,
                Wanted = wanted.Contains(k),
            };
        }).ToArray();
        foreach (var k in graph.Wanted) c.Keys.TryAdd(k, SimKeyStatus.Pending);
        c.GraphsSubmitted++;
        Trace($"client {c.Id} submits {graph.Keys.Count} tasks, wants [{string.Join(", ", graph.Wanted)}]");
        SendToScheduler(c.ToScheduler, $"client {c.Id} update-graph ({specs.Length})", () => _scheduler.UpdateGraph(c.Id, specs, _clock.Now));
        MaybeLeave(c); // its keys may all be final already (a graph it had submitted before)
    }

    private void Act(SimClient c, SimClientAction action, double fraction)
    {
        if (c.Left) return;
        if (action == SimClientAction.Cancel)
        {
            var pending = c.Keys.Where(k => k.Value == SimKeyStatus.Pending).Select(k => k.Key).ToList();
            var chosen = Choose(pending, fraction);
            if (chosen.Length == 0) return;
            foreach (var k in chosen) c.CancelRequested.Add(k);
            Count("cancel");
            Trace($"client {c.Id} cancels [{string.Join(", ", chosen)}]");
            SendToScheduler(c.ToScheduler, $"client {c.Id} cancel [{string.Join(", ", chosen)}]", () => _scheduler.CancelKeys(c.Id, chosen, _clock.Now));
        }
        else
        {
            var chosen = Choose(c.Keys.Keys.ToList(), fraction);
            if (chosen.Length == 0) return;
            foreach (var k in chosen)
            {
                c.Keys.Remove(k);
                c.Held.Remove(k);
            }
            Count("release");
            Trace($"client {c.Id} releases [{string.Join(", ", chosen)}]");
            SendToScheduler(c.ToScheduler, $"client {c.Id} release [{string.Join(", ", chosen)}]", () => _scheduler.ReleaseKeys(c.Id, chosen, _clock.Now));
            MaybeLeave(c);
        }
    }

    private string[] Choose(List<string> keys, double fraction)
    {
        if (keys.Count == 0) return [];
        int n = Math.Max(1, (int)(keys.Count * fraction));
        return keys.OrderBy(_ => _rng.Next()).Take(n).ToArray();
    }

    private void ToClient(int id, string what, Action<SimClient> handle)
    {
        var c = _clients.FirstOrDefault(x => x.Id == id) ?? throw new SimInvariantException($"command for unknown client {id}");
        _clock.Send(c.FromScheduler, () =>
        {
            if (c.Left) return;
            Trace($"client {c.Id} <- {what}");
            handle(c);
            MaybeLeave(c);
        });
    }

    private void ClientKeyInMemory(SimClient c, string key, string[] holders)
    {
        if (!c.Keys.ContainsKey(key)) return; // released meanwhile
        if (holders.Length == 0 || holders.Any(h => h.Length == 0)) throw new SimInvariantException($"client {c.Id}: {key} in memory on [{string.Join(", ", holders)}]");
        // Fetch it as the client would: from a holder still alive (the stores check every value they take).
        long? fetched = null;
        foreach (var h in holders)
        {
            var w = _workers.FirstOrDefault(x => x.Alive && x.Address == h);
            if (w is not null && w.Store.TryGetValue(key, out long v))
            {
                if (v != _workload.Expected(key)) throw new SimInvariantException($"client {c.Id} got {key} = {v} from {w}, expected {_workload.Expected(key)}");
                fetched = v;
            }
        }
        if (c.Keys[key] == SimKeyStatus.Pending) Count("result-received");
        c.Keys[key] = SimKeyStatus.Memory;
        // For a third of the keys it keeps the value, as a gather does, and says so: it is then the holder of last resort.
        // (Chosen by the key, not drawn: the seeds' random streams stay as they were.)
        if (fetched is { } value && !c.Held.ContainsKey(key) && (key[^1] + c.Id) % 3 == 0)
        {
            c.Held[key] = value;
            SendToScheduler(c.ToScheduler, $"client {c.Id} holds {key}", () => _scheduler.ClientHolds(c.Id, [key], _clock.Now));
        }
    }

    /// <summary>
    /// The scheduler lost a result this client holds: the client puts it on the worker named (if it
    /// is still alive when the value gets there) and answers what it restored and what not.
    /// </summary>
    private void ClientRestore(SimClient c, string key, int worker)
    {
        if (!c.Held.TryGetValue(key, out long value))
        {
            SendToScheduler(c.ToScheduler, $"client {c.Id} restore-reply missing [{key}]", () => _scheduler.RestoreFinished(c.Id, worker, [], [key], _clock.Now));
            return;
        }
        _clock.After(_rng.NextDouble() * 0.002, () =>
        {
            if (c.Left) return;
            bool put = _registered.TryGetValue(worker, out var w) && w.Alive;
            if (put)
            {
                Count("restored-by-client");
                if (w!.Running.Contains(key)) w.PutWhileRunning.Add(key); // WorkerState.DataPut: the value stands, the execution goes on
                PutInStore(w!, key, value); // the server stores the value before the state hears of it
                long nbytes = _workload.Tasks[key].Nbytes;
                OnWorker(w!, $"data-put {key}", () => w!.State.DataPut([new(key, nbytes)], _clock.Now));
            }
            KeyValuePair<string, long>[] restored = put ? [new(key, _workload.Tasks[key].Nbytes)] : [];
            string[] missing = put ? [] : [key];
            SendToScheduler(c.ToScheduler, $"client {c.Id} restore-reply {(put ? "restored" : "missing")} [{key}]",
                () => _scheduler.RestoreFinished(c.Id, worker, restored, missing, _clock.Now));
        });
    }

    private void ClientKeyErred(SimClient c, string key, object? error)
    {
        if (!c.Keys.ContainsKey(key)) return;
        bool explained = error switch
        {
            WorkerKilledError killed => KilledErrorIsTrue(killed),
            Transfer.TaskErrorPayload { Error.TypeName: SimTaskError.TypeName } e => _workload.Tasks[e.Error.Key].Failure != SimFailure.None && _workload.DependsOn(key, e.Error.Key),
            _ => false,
        };
        if (!explained) throw new SimInvariantException($"client {c.Id}: {key} erred with {error?.ToString() ?? "null"}, which it cannot have");
        Count(error is WorkerKilledError ? "killed-worker-error" : "erred");
        c.Keys[key] = SimKeyStatus.Erred;
    }

    /// <summary>
    /// Only executing tasks count a worker's death: every death the error holds as reported started must be of a
    /// worker that really was executing the task (or had finished it, its outcome still in flight) when it died. A
    /// death counted without a start report is the scheduler's guess at a start whose report died with the worker.
    /// </summary>
    private bool KilledErrorIsTrue(WorkerKilledError error)
    {
        // A reported start weighs a whole death, a guess half; the last death is the one that passed the allowance.
        int Weight(IEnumerable<WorkerDeath> deaths) => deaths.Sum(d => d.StartReported ? 2 : 1);
        Weight(error.Deaths).ShouldBeGreaterThan(2 * _workload.AllowedFailures + 1, $"{error}");
        Weight(error.Deaths.SkipLast(1)).ShouldBeLessThanOrEqualTo(2 * _workload.AllowedFailures + 1, $"{error}");
        foreach (var death in error.Deaths)
        {
            if (!death.StartReported)
            {
                Count("possibly-executing-death");
                continue;
            }
            var dead = _workers.Single(x => x.Id == death.Pid);
            if (dead.RunningAtRemoval is null || !dead.RunningAtRemoval.Contains(error.Key))
                throw new SimInvariantException($"{error.Key} counts the death of {dead}, which was not executing it: {error}");
        }
        return true;
    }

    private void ClientKeyCancelled(SimClient c, string key)
    {
        if (!c.Keys.ContainsKey(key)) return;
        if (!c.CancelRequested.Any(a => _workload.DependsOn(key, a)))
            throw new SimInvariantException($"client {c.Id}: {key} cancelled though it cancelled neither it nor its dependencies");
        Count("cancelled");
        c.Keys[key] = SimKeyStatus.Cancelled;
    }

    /// <summary>Once every graph is in and every key it holds is final, the client lets go of everything.</summary>
    private void MaybeLeave(SimClient c)
    {
        if (c.Left || c.GraphsSubmitted < c.Plan.Graphs.Count) return;
        if (c.Keys.Values.Any(s => s == SimKeyStatus.Pending)) return;
        c.Left = true;
        if (c.Plan.LeavesByDisconnecting)
        {
            Count("client-disconnect");
            Trace($"client {c.Id} disconnects");
            c.FromScheduler.Broken = true;
            SendToScheduler(c.ToScheduler, $"client {c.Id} disconnected", () => _scheduler.RemoveClient(c.Id));
        }
        else
        {
            var keys = c.Keys.Keys.ToArray();
            Trace($"client {c.Id} releases everything");
            SendToScheduler(c.ToScheduler, $"client {c.Id} release all [{string.Join(", ", keys)}]", () => _scheduler.ReleaseKeys(c.Id, keys, _clock.Now));
        }
    }
}

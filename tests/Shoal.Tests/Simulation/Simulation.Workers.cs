using Shoal.Execution;

namespace Shoal.Tests.Simulation;

// The worker server's part: instructions carried out (execution, gathers, messages), peers
// serving data from their stores, deaths, dropped connections and restarts.
internal sealed partial class Simulation
{
    /// <param name="journal">What the nanny's result journal kept of its dead predecessor's store (values by key), or null.</param>
    private void StartWorker(SimWorkerSpec spec, string? address, IReadOnlyList<KeyValuePair<string, long>>? journal = null)
    {
        int incarnation = _incarnations.GetValueOrDefault(spec.Name) + 1;
        _incarnations[spec.Name] = incarnation;
        address ??= $"sim://{spec.Name}.{incarnation}";
        var state = new WorkerState(new WorkerStateConfig
        {
            Address = address,
            NThreads = spec.NThreads,
            Resources = spec.Resources,
            TransferIncomingCountLimit = 1 + _rng.Next(4),
            TransferMessageTargetBytes = _rng.Next(2) == 0 ? 50_000_000 : 20_000,
            ValidateAfterEveryEvent = true,
        });
        int id = _nextSessionId++;
        var w = new SimWorker(id, incarnation, spec, address, state)
        {
            ToScheduler = NewLink($"w{id}->s"),
            FromScheduler = NewLink($"s->w{id}"),
        };
        _workers.Add(w);
        if (incarnation > 1) Count("restart");
        Trace($"start {w} at {address}{(journal is { Count: > 0 } ? $" with a journal of [{string.Join(", ", journal.Select(j => j.Key))}]" : "")}");
        // A replacement takes back what the journal kept (as WorkerServer.OpenJournal) and registers holding it.
        var held = new List<KeyValuePair<string, long>>();
        foreach (var (key, value) in journal ?? [])
        {
            PutInStore(w, key, value);
            held.Add(new(key, _workload.Tasks[key].Nbytes));
            Count("journal-recovered");
        }

        if (held.Count > 0) w.State.DataPut(held, _clock.Now).ShouldBeEmpty(); // a fresh state: nothing to do yet
        SendToScheduler(w.ToScheduler, $"{w} register", () => RegisterAtScheduler(w, held));
        _clock.After(FindMissingInterval * _rng.NextDouble(), () => FindMissing(w), periodic: true);
    }

    private void FindMissing(SimWorker w)
    {
        if (!w.Alive || _finished) return;
        OnWorker(w, "find-missing", () => w.State.FindMissing(_clock.Now));
        _clock.After(FindMissingInterval, () => FindMissing(w), periodic: true);
    }

    /// <summary>A message from the scheduler reaches a worker.</summary>
    private void SendToWorker(SimWorker w, string what, Func<IReadOnlyList<WorkerInstruction>> handle) =>
        _clock.Send(w.FromScheduler, () => OnWorker(w, what, handle));

    /// <summary>An event on a worker's loop: the state decides, the instructions are carried out.</summary>
    private void OnWorker(SimWorker w, string what, Func<IReadOnlyList<WorkerInstruction>> handle)
    {
        if (!w.Alive) return;
        Trace($"{w} <- {what}");
        var instructions = handle();
        foreach (var instruction in instructions) Apply(w, instruction);
    }

    private void Apply(SimWorker w, WorkerInstruction instruction)
    {
        switch (instruction)
        {
            case Execute execute:
                FromWorker(w, new TaskStartedMsg(execute.Key, execute.RunId)); // as WorkerServer: the start report first
                StartExecution(w, execute.Key);
                break;
            case GatherDep gather:
                StartGather(w, gather.Peer, gather.Keys.ToArray());
                break;
            case ReleaseData release:
                w.Store.Remove(release.Key);
                break;
            default:
                FromWorker(w, instruction);
                break;
        }
    }

    private void StartExecution(SimWorker w, string key)
    {
        _executions++;
        var task = _workload.Tasks[key];
        long value = task.Constant;
        foreach (var d in w.State.DependencyKeysOf(key))
        {
            if (!w.Store.TryGetValue(d, out long v))
                throw new SimInvariantException($"{w} executes {key} but its input {d} is not in the store (state {w.State.StateOf(d)})");
            value += v;
        }
        if (w.State.DependencyKeysOf(key).Count != task.Dependencies.Length)
            throw new SimInvariantException($"{w} executes {key} with inputs [{string.Join(", ", w.State.DependencyKeysOf(key))}], expected [{string.Join(", ", task.Dependencies)}]");

        double start = _clock.Now;
        double duration = task.Duration * w.Spec.Slowness * (0.5 + _rng.NextDouble());
        double roll = _rng.NextDouble();
        bool reschedule = roll < task.RescheduleProbability;
        bool fail = !reschedule && (task.Failure == SimFailure.Always || (task.Failure == SimFailure.Flaky && _rng.NextDouble() < task.FailProbability));
        w.Running.Add(key);
        if (task.Failure == SimFailure.KillsWorker)
        {
            // It takes its process down at once: the start report may or may not have left (reset or close).
            Count("poison-kill");
            Trace($"{w} execute {key} (kills the worker)");
            _clock.After(_rng.NextDouble() * 0.001, () =>
            {
                if (!w.Alive || _finished) return;
                bool resetLink = _rng.Next(2) == 0;
                Trace($"{key} kills {w} ({(resetLink ? "reset" : "close")})");
                Die(w, notifyScheduler: true, resetLink);
            });
            return;
        }
        if (fail) Count("task-failure");
        if (reschedule) Count("reschedule");
        if (w.Spec.Slowness > 1) Count("slow-execution");
        Trace($"{w} execute {key}{(fail ? " (will fail)" : reschedule ? " (will reschedule)" : "")}");
        _clock.After(duration, () =>
        {
            if (!w.Alive) return;
            w.Running.Remove(key);
            w.PutWhileRunning.Remove(key);
            double stop = _clock.Now;
            if (reschedule)
            {
                OnWorker(w, $"reschedule {key}", () => w.State.Reschedule(key, stop));
            }
            else if (fail)
            {
                OnWorker(w, $"execute-failure {key}", () => w.State.ExecuteFailure(key, SimTaskError.Of(key), start, stop));
            }
            else
            {
                PutInStore(w, key, value); // the server stores the value before the state hears of it
                OnWorker(w, $"execute-success {key}", () => w.State.ExecuteSuccess(key, task.Nbytes, start, stop));
            }
        });
    }

    private void PutInStore(SimWorker w, string key, long value)
    {
        long expected = _workload.Expected(key);
        if (value != expected) throw new SimInvariantException($"{w} stores {key} = {value}, expected {expected}");
        w.Store[key] = value;
    }

    private SimLink PeerLink(SimWorker from, SimWorker to)
    {
        if (!from.PeerLinks.TryGetValue(to.Id, out var link))
        {
            link = NewLink($"w{from.Id}->w{to.Id}");
            from.PeerLinks[to.Id] = link;
        }
        return link;
    }

    /// <summary>A gather: request to the peer now at that address, reply with what its store holds, or a failure if either side dies.</summary>
    private void StartGather(SimWorker w, string peerAddress, string[] keys)
    {
        var gather = new SimGather(w, peerAddress, keys);
        w.Gathers.Add(gather);
        var peer = _workers.FirstOrDefault(p => p.Alive && p.Address == peerAddress && p != w);
        Trace($"{w} gather [{string.Join(", ", keys)}] from {peerAddress} ({peer?.ToString() ?? "nobody"})");
        if (peer is null)
        {
            _clock.After(_clock.NetworkDelay(), () => EndGather(gather, null, "connection refused"));
            return;
        }
        gather.Peer = peer;
        _clock.Send(PeerLink(w, peer), () =>
        {
            if (!peer.Alive) return;
            var received = new List<(string Key, long Value, long Nbytes)>();
            var missing = new List<string>();
            foreach (var k in keys)
            {
                if (peer.Store.TryGetValue(k, out long v)) received.Add((k, v, peer.State.NbytesOf(k) ?? _workload.Tasks[k].Nbytes));
                else missing.Add(k);
            }
            Trace($"{peer} serves [{string.Join(", ", received.Select(r => r.Key))}] missing [{string.Join(", ", missing)}] to {w}");
            _clock.Send(PeerLink(peer, w), () => EndGather(gather, (received, missing), null));
        });
    }

    private void EndGather(SimGather gather, (List<(string Key, long Value, long Nbytes)> Received, List<string> Missing)? reply, string? failure)
    {
        var w = gather.Requester;
        if (gather.Ended || !w.Alive) return;
        gather.Ended = true;
        w.Gathers.Remove(gather);
        if (reply is { } r)
        {
            foreach (var (k, v, _) in r.Received) PutInStore(w, k, v);
            var received = r.Received.Select(x => new KeyValuePair<string, long>(x.Key, x.Nbytes)).ToArray();
            OnWorker(w, $"gather-success from {gather.PeerAddress} [{string.Join(", ", r.Received.Select(x => x.Key))}] missing [{string.Join(", ", r.Missing)}]",
                () => w.State.GatherSuccess(gather.PeerAddress, received, r.Missing, _clock.Now));
        }
        else
        {
            Count("gather-failure");
            OnWorker(w, $"gather-failure from {gather.PeerAddress}: {failure}", () => w.State.GatherFailure(gather.PeerAddress, gather.Keys, failure!, _clock.Now));
        }
    }

    // ------------------------------------------------------------------ faults

    private SimWorker? Current(string name) => _workers.LastOrDefault(w => w.Name == name && w.Alive);

    private void Fault(SimFaultKind kind, string name)
    {
        var w = Current(name);
        if (w is null || _finished) return;
        if (kind == SimFaultKind.Kill)
        {
            bool reset = _rng.Next(2) == 0;
            Count("kill");
            if (_clients.Any(c => !c.Left && c.Keys.Values.Any(k => k == SimKeyStatus.Pending))) Count("kill-during-work");
            Trace($"kill {w} ({(reset ? "reset" : "close")})");
            Die(w, notifyScheduler: true, reset);
        }
        else
        {
            Count("drop-connection");
            Trace($"drop {w}'s scheduler connection");
            w.ToScheduler.Broken = true;
            w.FromScheduler.Broken = true;
            _clock.After(_clock.NetworkDelay(), () => Enqueue($"{w} disconnected", () => DisconnectAtScheduler(w, "connection lost")));
            // The worker hears of it a little later, and exits (it does not reconnect yet).
            _clock.After(_rng.NextDouble() * 0.3, () =>
            {
                if (!w.Alive) return;
                Trace($"{w} lost the scheduler and exits");
                Die(w, notifyScheduler: false, reset: true);
            });
        }
    }

    private void Die(SimWorker w, bool notifyScheduler, bool reset)
    {
        w.Alive = false;
        w.FromScheduler.Broken = true;
        if (notifyScheduler)
        {
            if (reset)
            {
                w.ToScheduler.Broken = true;
                _clock.After(_clock.NetworkDelay(), () => Enqueue($"{w} disconnected (reset)", () => DisconnectAtScheduler(w, "killed")));
            }
            else
            {
                // A close: what it sent is still delivered, then the end of the stream.
                SendToScheduler(w.ToScheduler, $"{w} disconnected (closed)", () => DisconnectAtScheduler(w, "killed"));
            }
        }
        foreach (var link in w.PeerLinks.Values) link.Broken = true;
        foreach (var other in _workers)
        {
            if (other.PeerLinks.TryGetValue(w.Id, out var link)) link.Broken = true;
            foreach (var gather in other.Gathers.Where(g => g.Peer == w).ToArray())
                _clock.After(_clock.NetworkDelay(), () => EndGather(gather, null, "connection reset"));
        }
        w.Gathers.Clear();
        // Its nanny's result journal: sometimes none, else part of its store (values too big to journal, the
        // journal's cap, the records not flushed or torn by the kill are the part that is missing).
        var journal = _rng.Next(2) == 0 ? null : w.Store.Where(_ => _rng.Next(3) != 0).ToList();
        // The nanny restarts it under the same name (maybe on the same address).
        _clock.After(0.05 + _rng.NextDouble() * 0.5, () =>
        {
            if (_finished) return;
            StartWorker(w.Spec, _workload.ReuseAddressOnRestart ? w.Address : null, journal); // a fixed port: the same address
        });
    }
}

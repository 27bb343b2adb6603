using Shoal.Execution;
using Shoal.Scheduling;

namespace Shoal.Tests.Simulation;

// The scheduler server's part: an inbox drained in batches (as its event channel), commands
// turned into messages, FreeKeys held back until the batch ends (as SchedulerServer.FlushFreeKeys).
internal sealed partial class Simulation
{
    private readonly List<(string What, Action Handle)> _inbox = new();
    private bool _wakeScheduled;
    private bool _inboxBusy; // the inbox holds something that is not periodic
    private readonly Dictionary<int, List<string>> _pendingFrees = new();
    private readonly Dictionary<(int Worker, string Key), int> _releasesInFlight = new();
    private readonly Dictionary<(int, string), int> _computesSent = new();
    private readonly Dictionary<(int, string), int> _computesReceived = new();

    /// <summary>Sends a message to the scheduler over a link; it lands in the inbox.</summary>
    private void SendToScheduler(SimLink link, string what, Action handle, bool periodic = false) =>
        _clock.Send(link, () => Enqueue(what, handle, periodic), periodic);

    /// <summary>Something the scheduler server hears of (a message arrived, a connection closed).</summary>
    private void Enqueue(string what, Action handle, bool periodic = false)
    {
        _inbox.Add((what, handle));
        if (!periodic) _inboxBusy = true;
        if (_wakeScheduled) return;
        _wakeScheduled = true;
        // The loop wakes a moment later and drains everything that arrived meanwhile.
        _clock.After(_rng.NextDouble() * 0.0005, DrainInbox, periodic);
    }

    private void DrainInbox()
    {
        _wakeScheduled = false;
        _inboxBusy = false;
        var batch = _inbox.ToArray();
        _inbox.Clear();
        foreach (var (what, handle) in batch) HandleAtScheduler(what, handle);
        FlushFreeKeys();
    }

    private void SchedulerTick()
    {
        if (_finished) return;
        HandleAtScheduler("tick", () => _scheduler.Tick(_clock.Now));
        FlushFreeKeys();
        _clock.After(TickInterval, SchedulerTick, periodic: true);
    }

    private void HandleAtScheduler(string what, Action handle)
    {
        Trace("S <- " + what);
        handle();
        EmitCommands();
        _scheduler.Validate();
        CheckLosses();
    }

    private void EmitCommands()
    {
        foreach (var command in _scheduler.Commands)
        {
            int t = command.Task;
            string key = _scheduler.KeyOf(t);
            switch (command.Kind)
            {
                case SchedulerCommandKind.Compute:
                    SendCompute(command.Target, t);
                    break;
                case SchedulerCommandKind.FreeKeys:
                    if (!_pendingFrees.TryGetValue(command.Target, out var list)) _pendingFrees[command.Target] = list = new List<string>();
                    list.Add(key);
                    CountRelease(command.Target, key, +1);
                    break;
                case SchedulerCommandKind.StealRequest:
                    if (_registered.TryGetValue(command.Target, out var victim))
                    {
                        long run = _scheduler.RunIdOf(t);
                        FlushFreeKeysBefore(victim);
                        CountRelease(victim.Id, key, +1);
                        Count("steal-request");
                        Trace($"S -> {victim} steal {key}");
                        SendToWorker(victim, $"steal-request {key}", () =>
                        {
                            CountRelease(victim.Id, key, -1);
                            return victim.State.StealRequest(key, run, _clock.Now);
                        });
                    }
                    break;
                case SchedulerCommandKind.KeyInMemory:
                    var holders = _scheduler.WhoHas(t).ToArray().Select(AddressOf).ToArray();
                    ToClient(command.Target, $"in-memory {key}", c => ClientKeyInMemory(c, key, holders));
                    break;
                case SchedulerCommandKind.KeyErred:
                    var error = _scheduler.ErrorOf(t);
                    ToClient(command.Target, $"erred {key}", c => ClientKeyErred(c, key, error));
                    break;
                case SchedulerCommandKind.KeyCancelled:
                    ToClient(command.Target, $"cancelled {key}", c => ClientKeyCancelled(c, key));
                    break;
                case SchedulerCommandKind.KeyLost:
                    Count("key-lost");
                    ToClient(command.Target, $"lost {key}", _ => { });
                    break;
                case SchedulerCommandKind.RestoreKeys:
                    Count("restore-request");
                    int target = _scheduler.RestoreTargetOf(t);
                    ToClient(command.Target, $"restore {key} to w{target}", c => ClientRestore(c, key, target));
                    break;
            }
        }
        _scheduler.ClearCommands();
    }

    private void SendCompute(int worker, int t)
    {
        if (!_registered.TryGetValue(worker, out var w)) return;
        FlushFreeKeysBefore(w);
        string key = _scheduler.KeyOf(t);
        var deps = new List<DependencySpec>();
        foreach (int d in _scheduler.DependenciesOf(t))
        {
            var holders = _scheduler.WhoHas(d).ToArray();
            deps.Add(new DependencySpec(_scheduler.KeyOf(d), Math.Max(0, _scheduler.NbytesOf(d)), holders.Select(AddressOf).ToArray(), holders.Select(InstanceOf).ToArray()));
        }
        var request = new ComputeRequest(key, _scheduler.RunSpecOf(t), -_scheduler.RunOrderOf(t), deps, _scheduler.ResourcesOf(t), _scheduler.RunIdOf(t));
        Trace($"S -> {w} compute {key} run {request.RunId} deps [{string.Join(", ", deps.Select(d => d.Key + "@" + string.Join("|", d.Holders)))}]");
        Bump(_computesSent, (w.Id, key));
        SendToWorker(w, $"compute {key}", () =>
        {
            Bump(_computesReceived, (w.Id, key));
            return w.State.ComputeTask(request, _clock.Now);
        });
    }

    /// <summary>
    /// As SchedulerServer does: a worker's pending frees go out before any other message to it,
    /// so a key freed and then computed again on one worker arrives in that order (seed 156 found
    /// the server sending the frees last, after the new compute).
    /// </summary>
    private void FlushFreeKeysBefore(SimWorker w)
    {
        if (_pendingFrees.Remove(w.Id, out var keys)) SendFreeKeys(w.Id, keys);
    }

    private void FlushFreeKeys()
    {
        if (_pendingFrees.Count == 0) return;
        foreach (var (id, keys) in _pendingFrees.OrderBy(p => p.Key)) SendFreeKeys(id, keys);
        _pendingFrees.Clear();
    }

    private void SendFreeKeys(int id, List<string> keys)
    {
        if (!_registered.TryGetValue(id, out var w))
        {
            foreach (var k in keys) CountRelease(id, k, -1);
            return;
        }
        var list = keys.ToArray();
        Trace($"S -> {w} free [{string.Join(", ", list)}]");
        SendToWorker(w, $"free-keys [{string.Join(", ", list)}]", () =>
        {
            foreach (var k in list) CountRelease(w.Id, k, -1);
            return w.State.FreeKeys(list, _clock.Now);
        });
    }

    private void CountRelease(int worker, string key, int delta)
    {
        var at = (worker, key);
        int n = _releasesInFlight.GetValueOrDefault(at) + delta;
        if (n == 0) _releasesInFlight.Remove(at);
        else _releasesInFlight[at] = n;
    }

    private static void OutcomeSent(SimWorker w, string key, int delta)
    {
        int n = w.OutcomesInFlight.GetValueOrDefault(key) + delta;
        if (n == 0) w.OutcomesInFlight.Remove(key);
        else w.OutcomesInFlight[key] = n;
    }

    private static void Bump(Dictionary<(int, string), int> counts, (int, string) at) => counts[at] = counts.GetValueOrDefault(at) + 1;

    /// <summary>
    /// A task-done that answers an older compute than the one the task is now processing for must
    /// not be taken as the result: the worker dropped that value on the FreeKeys between the two,
    /// so the scheduler would count a holder that is only recomputing it. The run id in Compute and
    /// task-done tells them apart; this checks it by the harness's own count of computes.
    /// </summary>
    private static void StaleReportAccepted(SimWorker w, string key) =>
        throw new SimInvariantException($"a stale task-done for {key} from {w} (answering an earlier compute, its value since freed) was taken as the result of the current one");

    private bool ProcessingOn(string key, SimWorker w) =>
        _scheduler.StateOf(key) == TaskState.Processing && _scheduler.ProcessingWorkerOf(_scheduler.TaskIdOf(key)) == w.Id;

    private string AddressOf(int worker) => _registered.TryGetValue(worker, out var w) ? w.Address : "";

    private string InstanceOf(int worker) => _registered.TryGetValue(worker, out var w) ? w.Instance : "";

    // ------------------------------------------------------------------ worker sessions

    /// <summary>The worker registered: the server maps its address and adds it to the state.</summary>
    private void RegisterAtScheduler(SimWorker w, IReadOnlyList<KeyValuePair<string, long>> held)
    {
        _registered[w.Id] = w;
        _workerByAddress[w.Address] = w.Id;
        _scheduler.AddWorker(w.Id, new WorkerSpec(w.Name, w.Address, w.Spec.NThreads, 0, w.Spec.Resources, held) { Pid = w.Id }, _clock.Now);
    }

    /// <summary>The worker's connection closed (as the server's OnDisconnected).</summary>
    private void DisconnectAtScheduler(SimWorker w, string cause)
    {
        if (!_registered.Remove(w.Id)) return;
        if (_workerByAddress.TryGetValue(w.Address, out int id) && id == w.Id) _workerByAddress.Remove(w.Address);
        w.RunningAtRemoval = [.. w.Running, .. w.OutcomesInFlight.Keys]; // Running stopped changing if it died
        _scheduler.RemoveWorker(w.Id, cause, _clock.Now);
    }

    /// <summary>Messages from a worker to the scheduler (as WorkerServer.Apply, then SchedulerServer.Handle).</summary>
    private void FromWorker(SimWorker w, WorkerInstruction instruction)
    {
        double now() => _clock.Now;
        switch (instruction)
        {
            case TaskStartedMsg started:
                SendToScheduler(w.ToScheduler, $"{w} task-started {started.Key} run {started.RunId}", () =>
                {
                    if (_registered.ContainsKey(w.Id)) _scheduler.TaskStarted(w.Id, started.Key, started.RunId, now());
                });
                break;
            case TaskDoneMsg done:
                // Which compute it answers: the scheduler may have sent another one (after a FreeKeys) since.
                int answers = _computesReceived.GetValueOrDefault((w.Id, done.Key));
                OutcomeSent(w, done.Key, +1);
                SendToScheduler(w.ToScheduler, $"{w} task-done {done.Key} run {done.RunId}", () =>
                {
                    OutcomeSent(w, done.Key, -1);
                    if (!_registered.ContainsKey(w.Id)) return;
                    bool stale = answers < _computesSent.GetValueOrDefault((w.Id, done.Key)) && ProcessingOn(done.Key, w);
                    _scheduler.TaskFinished(w.Id, done.Key, done.RunId, done.Nbytes, done.Start, done.Stop, now());
                    if (stale && !ProcessingOn(done.Key, w)) StaleReportAccepted(w, done.Key);
                });
                break;
            case TaskFailedMsg failed:
                OutcomeSent(w, failed.Key, +1);
                SendToScheduler(w.ToScheduler, $"{w} task-failed {failed.Key} run {failed.RunId}", () =>
                {
                    OutcomeSent(w, failed.Key, -1);
                    if (_registered.ContainsKey(w.Id)) _scheduler.TaskErred(w.Id, failed.Key, failed.RunId, failed.Error, now());
                });
                break;
            case MissingDataMsg missing:
                SendToScheduler(w.ToScheduler, $"{w} missing-data {missing.Key} from {missing.Peer} ({missing.PeerInstance ?? "?"})", () =>
                {
                    if (!_registered.ContainsKey(w.Id)) return;
                    int holder = _workerByAddress.GetValueOrDefault(missing.Peer, -1);
                    // As SchedulerServer.MissingData: a report about a previous process at that address is ignored.
                    if (missing.PeerInstance is { Length: > 0 } reported && holder >= 0 && reported != InstanceOf(holder))
                    {
                        Count("missing-data-about-predecessor");
                        return;
                    }
                    _scheduler.MissingData(w.Id, missing.Key, holder, now());
                });
                break;
            case StealResponseMsg steal:
                if (steal.Accepted) Count("steal-accepted");
                SendToScheduler(w.ToScheduler, $"{w} steal-response {steal.Key} {steal.Accepted} run {steal.RunId}", () =>
                {
                    if (_registered.ContainsKey(w.Id)) _scheduler.StealResponse(w.Id, steal.Key, steal.RunId, steal.Accepted, now());
                });
                break;
            case RescheduleMsg reschedule:
                OutcomeSent(w, reschedule.Key, +1);
                SendToScheduler(w.ToScheduler, $"{w} reschedule {reschedule.Key} run {reschedule.RunId}", () =>
                {
                    OutcomeSent(w, reschedule.Key, -1);
                    if (_registered.ContainsKey(w.Id)) _scheduler.Reschedule(w.Id, reschedule.Key, reschedule.RunId, now());
                });
                break;
            case AddKeysMsg add:
                var keys = add.Keys.ToArray();
                SendToScheduler(w.ToScheduler, $"{w} add-keys [{string.Join(", ", keys.Select(k => k.Key))}]", () =>
                {
                    if (_registered.ContainsKey(w.Id)) _scheduler.AddKeys(w.Id, keys, now());
                });
                break;
            case RequestWhoHasMsg who:
                var wanted = who.Keys.ToArray();
                SendToScheduler(w.ToScheduler, $"{w} who-has [{string.Join(", ", wanted)}]", periodic: true, handle: () =>
                {
                    if (!_registered.ContainsKey(w.Id)) return;
                    var answers = wanted.Select(k =>
                    {
                        int t = _scheduler.TaskIdOf(k);
                        return (Key: k, Holders: t < 0 ? [] : _scheduler.WhoHas(t).ToArray().Select(AddressOf).ToArray());
                    }).ToArray();
                    _clock.Send(w.FromScheduler, periodic: true, deliver: () => OnWorker(w, "who-has-reply", () =>
                    {
                        var all = new List<WorkerInstruction>();
                        foreach (var (k, h) in answers) all.AddRange(w.State.UpdateWhoHas(k, h, _clock.Now));
                        return all;
                    }));
                });
                break;
            default:
                throw new SimInvariantException($"{w}: unexpected instruction {instruction}");
        }
    }
}

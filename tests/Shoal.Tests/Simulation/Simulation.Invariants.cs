using Shoal.Execution;
using Shoal.Scheduling;

namespace Shoal.Tests.Simulation;

// The invariants, checked after every event (the state machines' own Validate() runs inside
// their events), after every scheduler event (losses), and at the end (nothing left behind).
internal sealed partial class Simulation
{
    private Dictionary<string, int[]> _inMemory = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<SimWorker>> _executingScratch = new(StringComparer.Ordinal);

    private void CheckInvariants()
    {
        _executingScratch.Clear();
        foreach (var w in _workers)
        {
            if (!w.Alive) continue;
            // The store holds exactly the keys the state has in memory.
            foreach (var k in w.Store.Keys)
                if (w.State.StateOf(k) != WorkerTaskState.Memory && !(w.PutWhileRunning.Contains(k) && w.State.StateOf(k) is WorkerTaskState.Executing or WorkerTaskState.Cancelled or WorkerTaskState.Resumed))
                    throw new SimInvariantException($"{w}: store holds {k}, which the state has as {w.State.StateOf(k)?.ToString() ?? "unknown"}");
            foreach (var (k, _) in w.State.DataKeys)
                if (!w.Store.ContainsKey(k)) throw new SimInvariantException($"{w}: state has {k} in memory, the store does not");

            if (!_registered.ContainsKey(w.Id)) continue;
            foreach (var k in ExecutingKeys(w))
            {
                if (_releasesInFlight.ContainsKey((w.Id, k))) continue; // being freed or stolen
                if (!_executingScratch.TryGetValue(k, out var list)) _executingScratch[k] = list = new List<SimWorker>();
                list.Add(w);
            }
        }
        foreach (var (k, list) in _executingScratch)
            if (list.Count > 1)
                throw new SimInvariantException($"{k} runs on {string.Join(" and ", list)} at once (scheduler: processing on {_scheduler.ProcessingWorkerOf(_scheduler.TaskIdOf(k))})");
    }

    private IEnumerable<string> ExecutingKeys(SimWorker w)
    {
        if (w.State.Executing == 0) yield break;
        foreach (var k in _workload.Tasks.Keys)
            if (w.State.StateOf(k) == WorkerTaskState.Executing) yield return k;
    }

    /// <summary>A result leaves memory while still needed only when every worker holding it is gone.</summary>
    private void CheckLosses()
    {
        foreach (var (k, holders) in _inMemory)
        {
            var state = _scheduler.StateOf(k);
            if (state is not (TaskState.Waiting or TaskState.Queued or TaskState.NoWorker or TaskState.Processing)) continue;
            foreach (int h in holders)
            {
                if (_registered.TryGetValue(h, out var w) && w.Alive && w.State.StateOf(k) == WorkerTaskState.Memory)
                    throw new SimInvariantException($"{k} is recomputed ({state}) though {w} still holds it");
            }
        }
        var next = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var k in _workload.Tasks.Keys)
        {
            int t = _scheduler.TaskIdOf(k);
            if (t >= 0 && _scheduler.StateOf(k) == TaskState.Memory) next[k] = _scheduler.WhoHas(t).ToArray();
        }
        _inMemory = next;
    }

    /// <summary>Nothing is in flight and every client has left: nothing may be left anywhere.</summary>
    private void CheckQuiescent()
    {
        _finished = true;
        if (!AllClientsLeft()) throw new SimInvariantException($"deadlock: no event left but clients still wait: {PendingSummary()}");
        _scheduler.Validate();
        if (_scheduler.TaskCount != 0)
        {
            var left = _workload.Tasks.Keys.Where(k => _scheduler.StateOf(k) is not null).Take(10).Select(k => $"{k}:{_scheduler.StateOf(k)}");
            throw new SimInvariantException($"everything released, but the scheduler still knows {_scheduler.TaskCount} tasks: {string.Join(", ", left)}");
        }
        foreach (var w in _workers.Where(w => w.Alive))
        {
            if (w.State.TaskCount != 0 || w.Store.Count != 0)
            {
                var left = _workload.Tasks.Keys.Where(k => w.State.StateOf(k) is not null).Take(10).Select(k => $"{k}:{w.State.StateOf(k)}");
                throw new SimInvariantException($"everything released, but {w} still tracks {w.State.TaskCount} keys ({string.Join(", ", left)}) and stores {w.Store.Count}");
            }
        }
    }
}

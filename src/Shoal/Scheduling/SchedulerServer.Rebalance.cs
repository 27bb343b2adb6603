using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

// The I/O of a rebalance asked by a client: names to ids, the copies asked of recipients (AcquireReplicas, as retirement
// asks them), and the reply once every move ended. What moves where is decided by the state (SchedulerState.Rebalance.cs).
internal sealed partial class SchedulerServer
{
    /// <summary>How long a recipient may take to report its copy before the move is given up (the sender keeps its copy).</summary>
    internal static readonly TimeSpan RebalanceMoveTimeout = TimeSpan.FromSeconds(60);

    private readonly List<RebalanceRun> _rebalances = [];

    private void Rebalance(Session session, RebalanceRequest request, double now)
    {
        var reply = new RebalanceReply { RequestId = request.RequestId };
        HashSet<int>? workers = null;
        if (request.Workers.Count > 0)
        {
            var wanted = request.Workers.ToHashSet(StringComparer.Ordinal);
            lock (_workers)
            {
                workers = [.. _workers.Values.Where(s => s.Registration is { } r && (wanted.Contains(r.Name) || wanted.Contains(r.Address))).Select(s => s.Id)];
                var known = _workers.Values.Where(s => workers.Contains(s.Id)).SelectMany(s => new[] { s.Registration!.Name, s.Registration.Address }).ToHashSet(StringComparer.Ordinal);
                var unknown = wanted.Where(w => !known.Contains(w)).Order(StringComparer.Ordinal).ToArray();
                if (unknown.Length > 0) reply.Error = $"no such worker: {string.Join(", ", unknown)}";
            }
        }

        HashSet<int>? keys = null;
        if (reply.Error.Length == 0 && request.Keys.Count > 0)
        {
            keys = [];
            var notInMemory = new List<string>();
            foreach (var key in request.Keys)
            {
                if (_state.StateOf(key) == TaskState.Memory) keys.Add(_state.TaskIdOf(key));
                else notInMemory.Add(key);
            }

            if (notInMemory.Count > 0) reply.Error = $"not in memory, so nothing to move: {string.Join(", ", notInMemory.Take(10))}{(notInMemory.Count > 10 ? $" and {notInMemory.Count - 10} more" : "")}";
        }

        if (reply.Error.Length > 0)
        {
            TrySend(session, new Envelope { RebalanceReply = reply }, default);
            return;
        }

        var moves = _state.PlanRebalance(keys, workers);
        var asks = new Dictionary<int, AcquireReplicas>();
        foreach (var move in moves)
        {
            if (!_workers.TryGetValue(move.Sender, out var sender)) continue;
            if (!asks.TryGetValue(move.Recipient, out var ask)) asks[move.Recipient] = ask = new AcquireReplicas();
            var dependency = new Dependency { Key = move.Key, Nbytes = (ulong)move.Nbytes };
            dependency.Workers.Add(sender.Registration!.Address);
            ask.Keys.Add(dependency);
        }

        foreach (var (recipient, ask) in asks) SendToWorker(recipient, new Envelope { AcquireReplicas = ask });
        _rebalances.Add(new RebalanceRun(session, request.RequestId, moves, now));
        ProgressRebalances(now);
    }

    /// <summary>Ends the moves whose copies arrived (the sender's copy dropped), gives up those that cannot happen or took too long, and answers each finished rebalance.</summary>
    private void ProgressRebalances(double now)
    {
        for (int i = _rebalances.Count - 1; i >= 0; i--)
        {
            var run = _rebalances[i];
            var expired = now - run.Started > RebalanceMoveTimeout.TotalSeconds;
            run.Pending.RemoveAll(move =>
            {
                switch (_state.CompleteRebalanceMove(move))
                {
                    case RebalanceMoveOutcome.Done:
                        run.Reply.Moved++;
                        run.Reply.MovedBytes += (ulong)move.Nbytes;
                        return true;
                    case RebalanceMoveOutcome.Pending when !expired:
                        return false;
                    default:
                        run.Reply.Abandoned++;
                        return true;
                }
            });
            if (run.Pending.Count > 0) continue;
            _rebalances.RemoveAt(i);
            TrySend(run.Session, new Envelope { RebalanceReply = run.Reply }, default);
        }
    }

    /// <summary>One client's rebalance: the moves not ended yet, and the reply being counted.</summary>
    private sealed class RebalanceRun(Session session, ulong requestId, List<RebalanceMove> moves, double started)
    {
        public Session Session { get; } = session;
        public List<RebalanceMove> Pending { get; } = moves;
        public double Started { get; } = started;
        public RebalanceReply Reply { get; } = new() { RequestId = requestId };
    }
}

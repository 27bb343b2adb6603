using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Transfer;

namespace Shoal.Scheduling;

internal sealed partial class SchedulerServer
{
    /// <summary>
    /// Answers a client's introspection request on the loop: every worker with the keys it processes and holds (and
    /// their sizes), task counts per state, and this scheduler's version and runtime. One request serves
    /// HasWhat, Processing, NBytes, versions and the cluster dump; it costs a walk over the held keys, so it is for
    /// people and tools, not for the hot path.
    /// </summary>
    private void ClusterState(Session session, ClusterStateRequest request)
    {
        var reply = new ClusterStateReply
        {
            RequestId = request.RequestId,
            SchedulerVersion = ProtocolVersion.ShoalVersion,
            SchedulerRuntime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            SchedulerOs = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            Tasks = (ulong)_state.TaskCount,
        };
        Span<int> counts = stackalloc int[SchedulerState.StateKinds];
        _state.CopyStateCounts(counts);
        for (var state = 0; state < counts.Length; state++)
        {
            if (counts[state] > 0 && (TaskState)state != TaskState.Forgotten) reply.TaskStates[((TaskState)state).ToString()] = (ulong)counts[state];
        }
        lock (_workers)
        {
            foreach (var worker in _workers.Values.OrderBy(w => w.Id))
            {
                var r = worker.Registration!;
                var keys = new WorkerKeys
                {
                    Name = r.Name, Address = r.Address, Nthreads = r.Nthreads, MemoryLimit = r.MemoryLimit,
                    ShoalVersion = worker.Connection.Peer.ShoalVersion, Pid = r.Pid, Host = r.Host,
                };
                keys.Resources.Add(r.Resources);
                foreach (var task in _state.ProcessingOn(worker.Id)) keys.Processing.Add(_state.KeyOf(task));
                foreach (var task in _state.HasWhat(worker.Id)) keys.HasWhat.Add(new KeyNbytes { Key = _state.KeyOf(task), Nbytes = (ulong)Math.Max(0, _state.NbytesOf(task)) });
                reply.Workers.Add(keys);
            }
        }

        session.Connection.Send(new Envelope { ClusterStateReply = reply });
    }

    /// <summary>A task's run specification as its client sent it (the scheduler keeps it while the task lives, erred too), for a client to run it locally.</summary>
    private void RunSpec(Session session, RunSpecRequest request)
    {
        var reply = new RunSpecReply { RequestId = request.RequestId };
        var task = _state.TaskIdOf(request.Key);
        // An erred task whose error came from an erred dependency: the task that raised is the one to run.
        for (var hops = 0; task >= 0 && hops < 10_000; hops++)
        {
            var erredDependency = _state.DependenciesOf(task).ToArray().FirstOrDefault(d => _state.StateOf(_state.KeyOf(d)) == TaskState.Erred, -1);
            if (erredDependency < 0) break;
            task = erredDependency;
        }

        if (task < 0 || _state.RunSpecOf(task) is not { } payload)
        {
            session.Connection.Send(new Envelope { RunSpecReply = reply });
            return;
        }

        reply.Found = true;
        reply.Key = _state.KeyOf(task);
        reply.RunSegmentCount = (uint)payload.Run.Length;
        foreach (var dependency in _state.DependenciesOf(task)) reply.Dependencies.Add(_state.KeyOf(dependency));
        session.Connection.Send(new Envelope { RunSpecReply = reply }, payload.Run);
    }
}

using System.Collections.Concurrent;
using Shoal.Protocol.Messages;

namespace Shoal.Execution;

// What a running task asks of its worker (through WorkerContext): its slot given up and taken back, and the
// cancellation of its token when the scheduler no longer wants it.
internal sealed partial class WorkerServer
{
    private readonly ConcurrentDictionary<string, RunningTask> _running = new(StringComparer.Ordinal);
    private readonly WorkerClientSlot _client = new();

    /// <summary>The scheduler this worker serves.</summary>
    internal string SchedulerAddress => _options.SchedulerAddress;

    /// <summary>Threads (task slots) of this worker.</summary>
    internal int NThreads => _options.NThreads;

    /// <summary>The abstract resources this worker declared.</summary>
    internal IReadOnlyDictionary<string, double> Resources => _options.Resources;

    /// <summary>The credentials this worker proves (a client made for its tasks proves the same).</summary>
    internal SecurityOptions? Credentials => _security;

    /// <summary>The logger factory of this worker.</summary>
    internal Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory => _options.LoggerFactory;

    /// <summary>The one client this worker's tasks share (made on first use, disposed with the worker).</summary>
    internal WorkerClientSlot TaskClient => _client;

    /// <summary>Keys whose values this worker holds now.</summary>
    internal IReadOnlyList<string> StoredKeys => [.. _store.Keys];

    internal void PostSecede(string key) => _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.Secede) { Key = key });

    internal void PostRejoin(string key) => _events.Writer.TryWrite(new WorkerEvent(WorkerEventKind.Rejoin) { Key = key });

    /// <summary>Registers an execution so that the loop can reach it.</summary>
    private RunningTask BeginRun(string key)
    {
        var run = new RunningTask(this, key);
        _running[key] = run;
        return run;
    }

    private void EndRun(RunningTask run)
    {
        _running.TryRemove(new KeyValuePair<string, RunningTask>(run.Key, run));
        run.Dispose();
    }

    /// <summary>After free-keys: trips the token of every listed task that still runs but is no longer wanted.</summary>
    private void CancelUnwantedRuns(IEnumerable<string> keys)
    {
        if (_running.IsEmpty) return;
        foreach (var key in keys)
        {
            if (_running.TryGetValue(key, out var run) && _state.StateOf(key) == WorkerTaskState.Cancelled) run.Cancel();
        }
    }

    /// <summary>Carries out a secession instruction; false when <paramref name="instruction"/> is not one.</summary>
    private bool ApplySecession(WorkerInstruction instruction)
    {
        switch (instruction)
        {
            case TaskSecededMsg seceded:
                SendToScheduler(new Envelope { TaskSeceded = new TaskSeceded { Key = seceded.Key, RunId = (ulong)seceded.RunId } });
                return true;
            case RejoinGranted granted:
                if (_running.TryGetValue(granted.Key, out var run)) run.Granted();
                return true;
            default:
                return false;
        }
    }

    /// <summary>The worker stops: every task still running is told, and the tasks' client goes.</summary>
    private async ValueTask StopRunsAsync()
    {
        foreach (var run in _running.Values) run.Cancel();
        await _client.DisposeAsync().ConfigureAwait(false);
    }
}

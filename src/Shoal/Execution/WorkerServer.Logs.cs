using Shoal.Protocol.Messages;

namespace Shoal.Execution;

// Log forwarding: the worker's own lines at its forward level, and its tasks' lines
// (WorkerContext.Logger), go to the scheduler with the heartbeats.
internal sealed partial class WorkerServer
{
    private readonly WorkerLogBuffer _logs = new();

    /// <summary>
    /// Loop side, with each heartbeat and before each task's report: the lines logged since. A
    /// task's lines thus reach the scheduler before it hears the task is done, so whoever sees
    /// the result can read them (flows do). Kept while the scheduler is away.
    /// </summary>
    private void SendLogs()
    {
        if (_connected && _logs.Drain() is { } batch) SendToScheduler(new Envelope { WorkerLogs = batch });
    }
}

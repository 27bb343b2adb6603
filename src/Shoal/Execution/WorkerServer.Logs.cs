using Shoal.Protocol.Messages;

namespace Shoal.Execution;

// Log forwarding: the worker's own lines at its forward level, and its tasks' lines
// (WorkerContext.Logger), go to the scheduler with the heartbeats.
internal sealed partial class WorkerServer
{
    private readonly WorkerLogBuffer _logs = new();

    /// <summary>Loop side, with each heartbeat: the lines logged since the last one.</summary>
    private void SendLogs()
    {
        if (_logs.Drain() is { } batch) SendToScheduler(new Envelope { WorkerLogs = batch });
    }
}

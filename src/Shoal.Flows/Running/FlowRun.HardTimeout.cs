using System.Diagnostics;

namespace Shoal.Flows;

/// <summary>A hard timeout: the task ignored its cancellation, so the process running it is replaced.</summary>
internal sealed partial class FlowRun
{
    /// <summary>
    /// Replaces the worker process that holds an abandoned task (a thread cannot be stopped in
    /// .NET; a process can) and says how. First through the scheduler
    /// (<see cref="Shoal.Client.RestartWorkersAsync"/>): the worker's nanny starts a new process,
    /// wherever it runs, on this host or another, and this returns once it has registered again,
    /// so the next task finds it. A worker without a nanny cannot be restarted that way: on this
    /// host its process is killed (a <see cref="LocalCluster"/> of processes replaces it); on
    /// another host it is left running, and the cause says so. In the flow's own process
    /// (in-process executor) nothing can be replaced: the thread is abandoned.
    /// </summary>
    private async Task<string> ReplaceWorkerAsync(string message, string worker)
    {
        if (TaskBody.ProcessOf(message) is not { } process) return "the worker could not be identified";
        if (process.Pid == Environment.ProcessId && string.Equals(process.Host, Environment.MachineName, StringComparison.Ordinal))
            return "the task runs in the flow's own process (in-process executor): its thread was abandoned, nothing could be replaced";
        var where = $"process {process.Pid} on {process.Host}";
        string noNanny;
        try
        {
            await Client.RestartWorkersAsync([worker], Token).ConfigureAwait(false);
            return $"worker {worker} ({where}) was restarted by its nanny to be replaced";
        }
        catch (NotSupportedException e)
        {
            noNanny = e.Message;
        }
        catch (ArgumentException)
        {
            // The scheduler no longer knows it (it died or left meanwhile): whoever started it has replaced it or will.
            return $"worker {worker} ({where}) had already left the cluster";
        }
        catch (TimeoutException e)
        {
            return $"worker {worker} ({where}) was restarted, but the cluster did not get its workers back: {e.Message}";
        }

        if (!string.Equals(process.Host, Environment.MachineName, StringComparison.Ordinal))
            return $"worker {worker} ({where}) left running: it has no nanny to restart it ({noNanny})";
        try
        {
            using var local = Process.GetProcessById(process.Pid);
            local.Kill();
            return $"worker process {process.Pid} was killed to be replaced";
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"worker process {process.Pid} was already gone";
        }
    }
}

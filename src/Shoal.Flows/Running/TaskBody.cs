namespace Shoal.Flows;

/// <summary>
/// What runs on the worker around a task's function: the timeout. At the timeout the function's
/// token is cancelled; a function that stops then is a cooperative timeout; one still running a
/// grace period later is abandoned with a hard-timeout error naming this process, which the
/// runner replaces (a thread cannot be stopped in .NET; a process can). The token is also tripped
/// when the task is no longer wanted (<see cref="WorkerContext.CancellationToken"/>): a cancelled flow
/// run stops its running tasks that watch their token.
/// </summary>
internal static class TaskBody
{
    internal const string ProcessMarker = "[process ";

    public static async Task<TResult> RunAsync<TResult>(Func<CancellationToken, Task<TResult>> call, long timeoutTicks, long graceTicks)
    {
        // The worker's token for this task: tripped when the flow no longer wants it (the run cancelled or ended, its
        // future cancelled), so the function's token stops it then too, with or without a timeout.
        var unwanted = WorkerContext.CancellationToken;
        if (timeoutTicks <= 0) return await call(unwanted).ConfigureAwait(false);
        var timeout = TimeSpan.FromTicks(timeoutTicks);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(unwanted);
        cancellation.CancelAfter(timeout);
        var work = Task.Run(() => call(cancellation.Token));
        using var graceTimer = new CancellationTokenSource(timeout + TimeSpan.FromTicks(graceTicks));
        try
        {
            await work.WaitAsync(graceTimer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (graceTimer.IsCancellationRequested && !work.IsCompleted)
        {
            throw new FlowTaskHardTimeoutException(
                $"the task ran past its timeout of {timeout} and ignored its cancellation for {TimeSpan.FromTicks(graceTicks)} more {ProcessMarker}{Environment.ProcessId} on {Environment.MachineName}]");
        }
        catch (OperationCanceledException) when (unwanted.IsCancellationRequested)
        {
            throw; // not a timeout: nobody wants the result any more
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new FlowTaskTimeoutException($"the task stopped at its cancellation after its timeout of {timeout}");
        }

        if (cancellation.IsCancellationRequested && work.IsFaulted)
            throw new FlowTaskTimeoutException($"the task stopped at its cancellation after its timeout of {timeout} ({work.Exception?.InnerException?.GetType().Name})");
        return await work.ConfigureAwait(false);
    }

    /// <summary>The process a hard-timeout message names: (pid, host), or null.</summary>
    public static (int Pid, string Host)? ProcessOf(string message)
    {
        var at = message.LastIndexOf(ProcessMarker, StringComparison.Ordinal);
        if (at < 0) return null;
        var rest = message[(at + ProcessMarker.Length)..].TrimEnd(']');
        var parts = rest.Split(" on ", 2);
        return parts.Length == 2 && int.TryParse(parts[0], out var pid) ? (pid, parts[1]) : null;
    }
}

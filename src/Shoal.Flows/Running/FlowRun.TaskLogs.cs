using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Shoal.Flows;

// The lines tasks log on the workers (WorkerContext.Logger), recorded as the task runs' log lines.
// Workers send a task's lines before they report it done, so once a task run has ended, a read of
// the scheduler's log ring that starts afterwards holds every line it wrote: a run is looked for
// until such a read, then forgotten (the set stays as small as the runs in flight).
internal sealed partial class FlowRun
{
    /// <summary>Task runs whose lines may still come: -1 while running, else the number of the last read started before it ended.</summary>
    private readonly ConcurrentDictionary<Guid, long> logOwners = new();
    private long logReads;
    private long lastLogSequence;

    private void ExpectTaskLogs(TaskRun run) => logOwners[run.Id] = -1;

    private void TaskLogsComplete(TaskRun run)
    {
        if (logOwners.ContainsKey(run.Id)) logOwners[run.Id] = Interlocked.Read(ref logReads);
    }

    /// <summary>Reads the lines tasks logged since the last read and records those of this run's task runs.</summary>
    public async Task CollectTaskLogsAsync(CancellationToken cancellationToken)
    {
        if (logOwners.IsEmpty) return;
        var read = Interlocked.Increment(ref logReads);
        var lines = await Client.GetWorkerLogsAsync(after: lastLogSequence, tasksOnly: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var line in lines)
        {
            lastLogSequence = Math.Max(lastLogSequence, line.Sequence);
            if (TaskRunIdOf(line.TaskKey) is not { } id || !logOwners.ContainsKey(id)) continue;
            Record(new RunEvent.Log(Id, id, LevelName(line.Level), $"[{line.Worker}] {line.Message}", line.Time));
        }

        foreach (var (id, ended) in logOwners)
        {
            if (ended >= 0 && ended < read) logOwners.TryRemove(id, out _);
        }
    }

    /// <summary>Collects task lines every <paramref name="interval"/> until <paramref name="stop"/>, then once more.</summary>
    public async Task CollectTaskLogsUntilAsync(TimeSpan interval, TimeProvider time, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                await CollectSafelyAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // the run's body ended: the last read follows
        }
    }

    /// <summary>A read that fails (the cluster going away) loses those lines, not the run.</summary>
    public async Task CollectSafelyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CollectTaskLogsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Runner.Logger.LogWarning("{Run}: could not read the tasks' log lines: {Error}", Name, ex.Message);
        }
    }

    /// <summary>The task run id in a submission key (<c>TASK-RUNID-ATTEMPT</c>, see AttemptAsync), null for other keys.</summary>
    internal static Guid? TaskRunIdOf(string? key)
    {
        if (key is null) return null;
        int last = key.LastIndexOf('-');
        if (last <= 0) return null;
        int before = key.LastIndexOf('-', last - 1);
        return before >= 0 && Guid.TryParseExact(key.AsSpan(before + 1, last - before - 1), "N", out var id) ? id : null;
    }

    private static string LevelName(LogLevel level) => level switch
    {
        >= LogLevel.Error => "Error",
        LogLevel.Warning => "Warning",
        LogLevel.Information => "Info",
        _ => "Debug",
    };
}

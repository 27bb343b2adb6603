using Microsoft.Extensions.Logging;
using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// The workers' recent log lines that the scheduler keeps (a bounded ring per worker: each
    /// worker's warnings and above, more if it forwards more, and every line its tasks wrote
    /// through <see cref="WorkerContext.Logger"/> at information and above), oldest first.
    /// </summary>
    /// <param name="worker">Only this worker's lines (its name or address); null: every worker's.</param>
    /// <param name="minLevel">Only lines at this level or above.</param>
    /// <param name="after">Only lines numbered above this <see cref="WorkerLogEntry.Sequence"/> (0: all kept), to follow the logs.</param>
    /// <param name="tasksOnly">Only lines tasks wrote.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The lines, in the scheduler's order.</returns>
    public async Task<IReadOnlyList<WorkerLogEntry>> GetWorkerLogsAsync(string? worker = null, LogLevel minLevel = LogLevel.Trace, long after = 0,
        bool tasksOnly = false, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        var id = _scheduler.NextRequestId();
        var request = new WorkerLogsRequest { RequestId = id, After = (ulong)after, Worker = worker ?? "", MinLevel = (int)minLevel, TasksOnly = tasksOnly };
        var reply = await _scheduler.RequestAsync(id, new Envelope { WorkerLogsRequest = request }, default, cancellationToken).ConfigureAwait(false);
        return [.. reply.Message.WorkerLogsReply.Lines.Select(ToEntry)];
    }

    internal static WorkerLogEntry ToEntry(WorkerLogLine line) => new(
        (long)line.Sequence, line.Worker, DateTimeOffset.UnixEpoch.AddTicks((long)(line.UnixSeconds * TimeSpan.TicksPerSecond)),
        (LogLevel)line.Level, line.Category, line.Message, line.Key.Length == 0 ? null : line.Key);
}

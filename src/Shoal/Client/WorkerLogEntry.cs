using Microsoft.Extensions.Logging;

namespace Shoal;

/// <summary>One log line of a worker, as the scheduler keeps it (<see cref="Client.GetWorkerLogsAsync(string?, LogLevel, long, bool, CancellationToken)"/>).</summary>
/// <param name="Sequence">The line's number in the scheduler's sequence of all workers' lines: ask for lines after it to get only new ones.</param>
/// <param name="Worker">The worker's name.</param>
/// <param name="Time">When the worker logged it (the worker's clock).</param>
/// <param name="Level">Its level.</param>
/// <param name="Category">The logger's category: the worker's own (e.g. <c>Shoal.Execution.WorkerServer</c>) or <c>Shoal.Task</c> for a task's line.</param>
/// <param name="Message">The text.</param>
/// <param name="TaskKey">The task that wrote it through <see cref="WorkerContext.Logger"/>, null for the worker's own lines.</param>
public sealed record WorkerLogEntry(long Sequence, string Worker, DateTimeOffset Time, LogLevel Level, string Category, string Message, string? TaskKey);

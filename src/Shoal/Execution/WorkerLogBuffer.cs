using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Shoal.Protocol.Messages;

namespace Shoal.Execution;

/// <summary>
/// Log lines a worker has yet to send its scheduler (with its next heartbeat): written from any
/// thread (the loop, tasks), drained by the loop. Bounded: past <see cref="Capacity"/> lines the
/// newest are dropped and counted, so a task that logs in a tight loop cannot fill the worker's
/// memory; the scheduler is told how many were lost.
/// </summary>
internal sealed class WorkerLogBuffer(int capacity = WorkerLogBuffer.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;

    /// <summary>Lines sent with one heartbeat at most (a frame stays small; the rest go with the next).</summary>
    public const int BatchSize = 1_000;

    private readonly ConcurrentQueue<WorkerLogLine> _lines = new();
    private int _count;
    private long _dropped;

    public int Capacity { get; } = capacity;

    public void Add(LogLevel level, string category, string message, string? key)
    {
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _lines.Enqueue(new WorkerLogLine
        {
            UnixSeconds = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).TotalSeconds,
            Level = (int)level,
            Category = category,
            Message = message,
            Key = key ?? "",
        });
    }

    /// <summary>The next batch to send, null when there is nothing (no line, none dropped).</summary>
    public WorkerLogs? Drain()
    {
        var dropped = Interlocked.Exchange(ref _dropped, 0);
        if (_lines.IsEmpty && dropped == 0) return null;
        var batch = new WorkerLogs { Dropped = (ulong)dropped };
        while (batch.Lines.Count < BatchSize && _lines.TryDequeue(out var line))
        {
            Interlocked.Decrement(ref _count);
            batch.Lines.Add(line);
        }

        return batch;
    }
}

/// <summary>
/// The worker's own logger, which also keeps for its scheduler the lines at or above the forward
/// level (warnings by default; <c>--log-forward-level</c> asks for more).
/// </summary>
internal sealed class ForwardingLogger(ILogger inner, WorkerLogBuffer buffer, LogLevel forwardLevel, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel) || Forwards(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (inner.IsEnabled(logLevel)) inner.Log(logLevel, eventId, state, exception, formatter);
        if (Forwards(logLevel)) buffer.Add(logLevel, category, TaskLogSink.Text(formatter(state, exception), exception), null);
    }

    private bool Forwards(LogLevel level) => level != LogLevel.None && level >= forwardLevel;
}

/// <summary>
/// Where <see cref="WorkerContext.Logger"/> writes inside a task: the worker's log (category
/// <c>Shoal.Task</c>) and, at information or above (or the forward level when lower), the lines
/// for the scheduler, marked with the task's key.
/// </summary>
internal sealed class TaskLogSink(ILogger workerLog, WorkerLogBuffer buffer, LogLevel forwardLevel)
{
    public const string Category = "Shoal.Task";

    private readonly LogLevel _threshold = forwardLevel < LogLevel.Information ? forwardLevel : LogLevel.Information;

    public bool IsEnabled(LogLevel level) => level != LogLevel.None && (level >= _threshold || workerLog.IsEnabled(level));

    public void Write(string key, LogLevel level, string message)
    {
        if (workerLog.IsEnabled(level)) TaskLog.Line(workerLog, level, key, message);
        if (level != LogLevel.None && level >= _threshold) buffer.Add(level, Category, message, key);
    }

    /// <summary>A message with its exception's type and message, as one line of text.</summary>
    public static string Text(string message, Exception? exception) =>
        exception is null ? message : $"{message} ({exception.GetType().FullName}: {exception.Message})";
}

internal static partial class TaskLog
{
    [LoggerMessage(Message = "task {Key}: {Line}")]
    public static partial void Line(ILogger logger, LogLevel level, string key, string line);
}

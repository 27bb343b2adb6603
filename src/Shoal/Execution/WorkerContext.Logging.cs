using Microsoft.Extensions.Logging;
using Shoal.Execution;

namespace Shoal;

public static partial class WorkerContext
{
    private static readonly AsyncLocal<(string Key, TaskLogSink Sink)?> CurrentTask = new();

    /// <summary>
    /// A logger for the current task: its lines go to the worker's log and, at information level
    /// and above, to the scheduler, which keeps the recent ones per worker
    /// (<see cref="Client.GetWorkerLogsAsync(string?, LogLevel, long, bool, CancellationToken)"/>; a flow's task
    /// runs record them). Outside a task it writes nowhere.
    /// </summary>
    public static ILogger Logger { get; } = new TaskLogger();

    /// <summary>The key of the task running on this flow, null outside a task.</summary>
    internal static string? TaskKey => CurrentTask.Value?.Key;

    /// <summary>Set by the worker server on the task's own execution flow, before it runs user code.</summary>
    internal static void EnterTask(string key, TaskLogSink sink) => CurrentTask.Value = (key, sink);

    private sealed class TaskLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => CurrentTask.Value is { } task && task.Sink.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (CurrentTask.Value is not { } task || !task.Sink.IsEnabled(logLevel)) return;
            task.Sink.Write(task.Key, logLevel, TaskLogSink.Text(formatter(state, exception), exception));
        }
    }
}

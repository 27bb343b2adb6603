using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Shoal.Tests.Kubernetes.Operator;

/// <summary>The operator's log lines with their exceptions, kept to explain a test that timed out.</summary>
internal sealed class OperatorLog : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        _lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]")}");
        while (_lines.Count > 200) _lines.TryDequeue(out _);
    }

    /// <summary>The last lines, for a failure message.</summary>
    public string Tail(int n = 30) => string.Join("\n", Lines.TakeLast(n));
}

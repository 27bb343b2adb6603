using Microsoft.Extensions.Logging;

namespace Shoal.Hosting;

/// <summary>
/// Logs one line per entry to a <see cref="TextWriter"/> (the CLI's stdout), so that
/// <c>shoal local</c> and friends print their logs where their caller reads them.
/// (Microsoft.Extensions.Logging.Console would do this for the real console, but cannot
/// target an arbitrary writer, which the in-process CLI tests need.)
/// </summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer, LogLevel minimum) : ILoggerProvider
{
    private readonly object _lock = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, ShortName(categoryName));

    public void Dispose() { }

    private static string ShortName(string category) => category[(category.LastIndexOf('.') + 1)..];

    private void Write(string line)
    {
        lock (_lock)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private sealed class Logger(TextWriterLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        private LogLevel minimum => owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var text = $"{DateTime.UtcNow:HH:mm:ss.fff} {Level(logLevel)} {category}: {formatter(state, exception)}";
            if (exception is not null) text += Environment.NewLine + exception;
            owner.Write(text);
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }

    private LogLevel _minimum = minimum;
}

using Microsoft.Extensions.Logging;
using Shoal.Execution;
using Shoal.Metrics;

namespace Shoal.Hosting;

/// <summary>
/// What a hosted worker is observed through: its instruments (meter <c>Shoal.Worker</c>), made
/// before the worker starts, and its HTTP endpoint when <c>--http-port</c> asks for one.
/// </summary>
internal sealed class WorkerEndpoint : IAsyncDisposable
{
    private readonly MetricsEndpoint? _http;

    private WorkerEndpoint(WorkerInstruments instruments, MetricsEndpoint? http)
    {
        Instruments = instruments;
        _http = http;
    }

    public WorkerInstruments Instruments { get; }

    /// <summary>The endpoint's base address (reported to the scheduler), null without one.</summary>
    public string? Address => _http?.BaseAddress;

    public static async Task<WorkerEndpoint> StartAsync(string name, string host, int? port, SecurityOptions? security, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var instruments = new WorkerInstruments(name);
        if (port is null) return new WorkerEndpoint(instruments, null);
        try
        {
            var http = await MetricsEndpoint.StartAsync(instruments.Meter, host, port.Value, security, Protocol.Messages.Role.Worker, loggers, cancellationToken).ConfigureAwait(false);
            return new WorkerEndpoint(instruments, http);
        }
        catch
        {
            instruments.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_http is not null) await _http.DisposeAsync().ConfigureAwait(false);
        Instruments.Dispose();
    }
}

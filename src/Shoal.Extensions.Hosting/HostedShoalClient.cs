using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Shoal.Extensions.Hosting;

/// <summary>
/// The host's Shoal client: connected when the host starts (a scheduler that cannot be reached fails the start),
/// disposed when it stops. Resolve <see cref="Client"/> from the services once the host has started.
/// </summary>
public sealed class HostedShoalClient : IHostedService, IAsyncDisposable
{
    private readonly IOptions<ShoalClientOptions> _options;
    private readonly ILoggerFactory _loggerFactory;
    private Client? _client;

    /// <summary>Made by the container (see <c>AddShoalClient</c>).</summary>
    public HostedShoalClient(IOptions<ShoalClientOptions> options, ILoggerFactory loggerFactory)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _loggerFactory = loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory));
    }

    /// <summary>The connected client.</summary>
    /// <exception cref="InvalidOperationException">The host has not started, or has stopped.</exception>
    public Client Client => _client ?? throw new InvalidOperationException(
        "the Shoal client is connected when the host starts and disposed when it stops: resolve Shoal.Client after IHost.StartAsync");

    /// <summary>Connects to the scheduler.</summary>
    /// <exception cref="InvalidOperationException">No scheduler address is configured.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_client is not null) return;
        var o = _options.Value;
        if (string.IsNullOrWhiteSpace(o.SchedulerAddress))
            throw new InvalidOperationException("Shoal:SchedulerAddress is not configured (the address of the scheduler to connect to)");
        var options = new ClientOptions
        {
            ConnectTimeout = o.ConnectTimeout,
            WaitForScheduler = o.WaitForScheduler,
            LoggerFactory = _loggerFactory,
            HoldResultsForRecovery = o.HoldResultsForRecovery,
            Security = o.TokenFile is { Length: > 0 } file ? SecurityOptions.FromTokenFile(file) : null,
        };
        if (o.Name is { Length: > 0 } name) options = options with { Name = name };
        _client = await Client.ConnectAsync(o.SchedulerAddress, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disconnects (the scheduler then forgets what this client held).</summary>
    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    /// <summary>Disconnects, if connected.</summary>
    public async ValueTask DisposeAsync()
    {
        var client = Interlocked.Exchange(ref _client, null);
        if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
    }
}

using Shoal.Dashboard;

namespace Shoal.Scheduling;

// The scheduler's dashboard (Dashboard/): started with the scheduler when its options ask for one.
// The dashboard and the meters see the scheduler only as an IObservedScheduler (no Scheduling type).
internal sealed partial class SchedulerServer : IObservedScheduler
{
    private DashboardServer? _dashboard;
    private Metrics.SchedulerMetrics? _metrics;

    /// <summary>Frames and bytes per connection role, read by the meter on a scrape (counted by the connections themselves).</summary>
    private readonly Comm.ConnectionTraffic _traffic = new();

    /// <summary>The dashboard, null when the scheduler runs none.</summary>
    internal DashboardServer? Dashboard => _dashboard;

    /// <summary>The dashboard's link (<c>http://HOST:PORT/status</c>), null when there is none.</summary>
    public string? DashboardLink => _dashboard?.Link;

    private async Task StartDashboardAsync(CancellationToken cancellationToken)
    {
        if (_options.Dashboard is not { } options) return;
        _metrics = new Metrics.SchedulerMetrics(_observer, SnapshotAsync);
        _traffic.AddInstruments(_metrics.Meter);
        _code.AddInstruments(_metrics.Meter);
        _dashboard = await DashboardServer.StartAsync((IObservedScheduler)this, options, HostOf(Address), _options.Security, _options.LoggerFactory, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask StopDashboardAsync()
    {
        if (_dashboard is { } dashboard) await dashboard.DisposeAsync().ConfigureAwait(false);
        _metrics?.Dispose();
    }

    /// <summary>The host part of a scheduler address (loopback for in-process addresses).</summary>
    private static string HostOf(string address)
    {
        if (!address.StartsWith("tcp://", StringComparison.Ordinal) && !address.StartsWith("tls://", StringComparison.Ordinal)) return "127.0.0.1";
        var rest = address[6..];
        int colon = rest.LastIndexOf(':');
        return (colon < 0 ? rest : rest[..colon]).Trim('[', ']');
    }

    /// <summary>The scheduler's instruments (with the dashboard, which serves them at /metrics).</summary>
    internal Metrics.SchedulerMetrics? MetricsInstruments => _metrics;

    Metrics.SchedulerMetrics? IObservedScheduler.MetricsInstruments => _metrics;

    SchedulerObserver IObservedScheduler.Observer => _observer;

    /// <summary>The adaptive target (Dask's default target duration of 5 s), read on the loop.</summary>
    Task<(List<Protocol.Messages.WorkerLogLine> Lines, ulong Last)> IObservedScheduler.WorkerLogsAsync(ulong after, string? worker, int minLevel) =>
        OnLoopAsync(() => (ReadWorkerLogsOnLoop(after, worker, minLevel, tasksOnly: false), LastLogSequenceOnLoop));

    Task<int> IObservedScheduler.AdaptiveTargetAsync() => OnLoopAsync(() => _state.AdaptiveTarget());

    /// <summary>The current graph when small enough, read on the loop.</summary>
    Task<ObservedGraph?> IObservedScheduler.GraphAsync(int maxTasks) => OnLoopAsync<ObservedGraph?>(() =>
        _state.Graph(maxTasks) is { } g
            ? new ObservedGraph(g.Keys, Array.ConvertAll(g.Keys, SchedulerState.GroupOf), Array.ConvertAll(g.States, s => StateNames[(int)s]), g.Dependencies)
            : null);

    /// <summary>The options a person may want to see on /info (no credentials).</summary>
    public object DescribeOptions() => new
    {
        listen_address = _options.ListenAddress,
        tick_ms = _options.TickInterval.TotalMilliseconds,
        heartbeat_s = _options.HeartbeatInterval.TotalSeconds,
        worker_ttl_s = _options.WorkerTtl?.TotalSeconds,
        idle_timeout_s = _options.IdleTimeout?.TotalSeconds,
        tls = _options.Security?.UsesTls ?? false,
        token = _options.Security?.HasToken ?? false,
        insecure = _options.Insecure,
    };
}

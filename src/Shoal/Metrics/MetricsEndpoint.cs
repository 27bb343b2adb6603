using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Shoal.Dashboard;

namespace Shoal.Metrics;

/// <summary>
/// A process's own small HTTP endpoint for one meter (a worker's <c>--http-port</c>): Prometheus
/// text at <c>/metrics</c> and <c>/health</c>, with the dashboard's safety: open on loopback,
/// anywhere else a bearer token of the cluster's dashboard (the one Prometheus scrapes the
/// scheduler with) for every path but <c>/health</c>; HTTPS with the process's certificate when
/// the cluster has TLS.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly PrometheusExport _export;

    private MetricsEndpoint(WebApplication app, PrometheusExport export, string baseAddress)
    {
        _app = app;
        _export = export;
        BaseAddress = baseAddress;
    }

    /// <summary>e.g. <c>http://10.0.0.5:9100</c>: what the worker reports to its scheduler.</summary>
    public string BaseAddress { get; }

    /// <param name="meter">The meter served (its instruments only: one registry per endpoint).</param>
    /// <param name="host">The host to listen on (the worker's).</param>
    /// <param name="port">The port (0: a free one).</param>
    /// <param name="security">The cluster's credentials: its token gives the bearer tokens, its certificate HTTPS.</param>
    /// <param name="role">Whose certificate serves HTTPS.</param>
    /// <param name="loggers">Where Kestrel's warnings go.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <param name="requireCredentials">Ask for a credential on loopback too (as off loopback; for tests).</param>
    public static async Task<MetricsEndpoint> StartAsync(Meter meter, string host, int port, SecurityOptions? security, Protocol.Messages.Role role,
        ILoggerFactory? loggers, CancellationToken cancellationToken, bool requireCredentials = false)
    {
        var ips = new DashboardAddress(host.Trim('[', ']'), port).Resolve(host);
        var certificate = security is { UsesTls: true } ? security.CertificateFor(role) : null;
        var access = new DashboardAccess(DashboardCredentials.For(security), DashboardAccess.AllLoopback(ips) && !requireCredentials, certificate is not null);
        var app = KestrelApp.Build("Shoal.Metrics", ips, port, certificate, loggers);
        var export = new PrometheusExport(meter);
        app.Use((context, next) => access.InvokeAsync(context, ctx => next(ctx)));
        app.MapGet("/health", context =>
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync("ok\n");
        });
        export.Map(app);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            export.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new MetricsEndpoint(app, export, KestrelApp.BoundAddress(app));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A scrape still open: disposing closes it.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _export.Dispose();
    }
}

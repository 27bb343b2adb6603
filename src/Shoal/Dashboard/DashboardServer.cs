using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Shoal.Dashboard;

/// <summary>
/// The scheduler's web dashboard on ASP.NET Core (Kestrel): the pages, the JSON API under
/// /api/v1/, and the live stream (server-sent events). It reads the scheduler only through its
/// observer stream and reads it runs on its loop (<see cref="IObservedScheduler"/>): never its state from here.
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    /// <summary>The line printed after "Scheduler at:": the link, or a one-time sign-in link off loopback.</summary>
    internal string StartLine()
    {
        var line = $"Dashboard at: {Link}";
        if (PortTaken is { } taken) line += $" (port {taken} was taken)";
        if (!Access.Open) line += $" (sign in once, within 10 minutes: {SignInLink()})";
        return line;
    }

    /// <summary>Up to this many tasks, /graph draws every task; beyond, a summary by group.</summary>
    public const int GraphTaskLimit = 3000;

    private readonly WebApplication _app;
    private readonly DashboardFeed _feed;
    private readonly DashboardOptions _options;
    private readonly IObservedScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private Metrics.PrometheusExport? _prometheus;

    private DashboardServer(WebApplication app, DashboardFeed feed, DashboardOptions options, IObservedScheduler scheduler, DashboardAccess access, ILogger logger)
    {
        _app = app;
        _feed = feed;
        _options = options;
        _scheduler = scheduler;
        Access = access;
        _logger = logger;
    }

    /// <summary>Base address, e.g. <c>http://127.0.0.1:8787</c>.</summary>
    public string BaseAddress { get; private set; } = "";

    /// <summary>The link printed and offered to users: <c>BASE/status</c>.</summary>
    public string Link => BaseAddress + "/status";

    public DashboardAccess Access { get; }

    /// <summary>The port asked for, when it was taken and a free one serves instead.</summary>
    public int? PortTaken { get; private set; }

    public DashboardFeed Feed => _feed;

    /// <summary>A one-time sign-in link (off loopback), or the plain link when the dashboard is open.</summary>
    public string SignInLink(DashboardRole role = DashboardRole.Admin) =>
        Access.Open ? Link : DashboardSignIn.Link(Link, Access.Credentials, role, _options.CodeLifetime);

    public static async Task<DashboardServer> StartAsync(IObservedScheduler scheduler, DashboardOptions options, string schedulerHost,
        SecurityOptions? security, ILoggerFactory? loggers, CancellationToken cancellationToken)
    {
        var logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger("Shoal.Dashboard");
        var address = DashboardAddress.Parse(options.Address);
        var ips = address.Resolve(schedulerHost);
        var certificate = security is { UsesTls: true } ? security.CertificateFor(Protocol.Messages.Role.Scheduler) : null;
        var access = new DashboardAccess(DashboardCredentials.For(security), DashboardAccess.AllLoopback(ips) && !options.RequireCredentials, certificate is not null);
        if (!access.Open && certificate is null) DashboardLog.PlainHttpOffLoopback(logger);
        int port = address.Port;
        int? taken = null;
        // The default port taken (another scheduler on this machine): a free one, as Dask does. Probed
        // first, because Kestrel logs a failed start as an error with its stack trace.
        if (options.FallBackToFreePort && port != 0 && !IsFree(ips, port))
        {
            DashboardLog.PortTaken(logger, port);
            taken = port;
            port = 0;
        }

        DashboardServer server;
        try
        {
            server = await StartOnAsync(scheduler, options, ips, port, certificate, access, loggers, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (options.FallBackToFreePort && port != 0 && IsAddressInUse(e))
        {
            // Taken between the probe and the bind (schedulers starting at once on this machine).
            DashboardLog.PortTaken(logger, port);
            taken = port;
            server = await StartOnAsync(scheduler, options, ips, 0, certificate, access, loggers, logger, cancellationToken).ConfigureAwait(false);
        }

        server.PortTaken = taken;
        return server;
    }

    /// <summary>
    /// Whether <paramref name="e"/> says the port was taken: Kestrel reports it as an <see cref="IOException"/>, or as an
    /// <see cref="AggregateException"/> of socket errors when it binds several addresses, so the whole chain is read.
    /// </summary>
    private static bool IsAddressInUse(Exception e) => e switch
    {
        System.Net.Sockets.SocketException s => s.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse,
        AggregateException a => a.InnerExceptions.Any(IsAddressInUse),
        IOException io when io.InnerException is null => true, // Kestrel's "Failed to bind to address": taken
        _ => e.InnerException is { } inner && IsAddressInUse(inner),
    };

    private static bool IsFree(IPAddress[] ips, int port)
    {
        foreach (var ip in ips)
        {
            var probe = new System.Net.Sockets.TcpListener(ip, port);
            try
            {
                probe.Start();
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
            finally
            {
                probe.Stop();
            }
        }

        return true;
    }

    private static async Task<DashboardServer> StartOnAsync(IObservedScheduler scheduler, DashboardOptions options, IPAddress[] ips, int port,
        X509Certificate2? certificate, DashboardAccess access, ILoggerFactory? loggers, ILogger logger, CancellationToken cancellationToken)
    {
        var app = KestrelApp.Build("Shoal.Dashboard", ips, port, certificate, loggers);
        var feed = new DashboardFeed(scheduler.Observer, options.Interval, scheduler.MetricsInstruments);
        var server = new DashboardServer(app, feed, options, scheduler, access, logger);
        if (scheduler.MetricsInstruments is { } metrics) server._prometheus = new Metrics.PrometheusExport(metrics.Meter);
        server.MapRoutes();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await feed.DisposeAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        server.BaseAddress = KestrelApp.BoundAddress(app);
        return server;
    }

    private void MapRoutes()
    {
        var app = _app;
        app.Use((context, next) => Access.InvokeAsync(context, ctx => next(ctx)));
        app.MapGet("/", context => { context.Response.Redirect("/status"); return Task.CompletedTask; });
        app.MapGet("/health", context => Text(context, "ok\n"));
        app.MapGet("/login", context => Access.LoginAsync(context, _options.SessionLifetime));
        foreach (var page in new[] { "status", "workers", "tasks", "graph", "info" })
        {
            app.MapGet("/" + page, context => Asset(context, page + ".html"));
        }

        app.MapGet("/static/{name}", context => Asset(context, (string)context.Request.RouteValues["name"]!));
        app.MapGet("/api/v1/status", async context =>
        {
            await _scheduler.SnapshotAsync().WaitAsync(context.RequestAborted).ConfigureAwait(false);
            await Json(context, _feed.Last ?? (object)await StatusNowAsync(context).ConfigureAwait(false)).ConfigureAwait(false);
        });
        app.MapGet("/api/v1/workers", async context =>
        {
            var snapshot = await _scheduler.SnapshotAsync().WaitAsync(context.RequestAborted).ConfigureAwait(false);
            await Json(context, snapshot.Workers.Select(WorkerStatus.Of).ToArray()).ConfigureAwait(false);
        });
        app.MapGet("/api/v1/tasks", async context =>
        {
            var snapshot = await _scheduler.SnapshotAsync().WaitAsync(context.RequestAborted).ConfigureAwait(false);
            await Json(context, new { states = DashboardJson.States(_feed.StateNames, snapshot.StateCounts), groups = _feed.GroupDetails(snapshot) }).ConfigureAwait(false);
        });
        app.MapGet("/api/v1/task_stream", context => Json(context, new { bars = _feed.RecentTaskBars() }));
        app.MapGet("/api/v1/graph", GraphAsync);
        app.MapGet("/api/v1/info", InfoAsync);
        app.MapGet("/api/v1/adaptive_target", async context =>
        {
            var target = await _scheduler.AdaptiveTargetAsync().WaitAsync(context.RequestAborted).ConfigureAwait(false);
            await Json(context, new { workers = target }).ConfigureAwait(false);
        });
        app.MapMethods("/api/v1/retire_workers", [HttpMethods.Get, HttpMethods.Post], RetireWorkersAsync);
        app.MapGet("/api/v1/stream", StreamAsync);
        app.MapGet("/api/v1/logs", LogsAsync);
        if (_prometheus is { } prometheus) prometheus.Map(app);
    }

    private async Task<StatusUpdate> StatusNowAsync(HttpContext context)
    {
        var s = await _scheduler.SnapshotAsync().WaitAsync(context.RequestAborted).ConfigureAwait(false);
        return new StatusUpdate(s.Time, s.Taken, DashboardJson.States(_feed.StateNames, s.StateCounts),
            s.Groups.Select(g => new GroupStatus(g.Name, DashboardJson.States(_feed.StateNames, g.States), g.AverageDuration, 0, 0, 0, 0)).ToArray(),
            s.Workers.Select(WorkerStatus.Of).ToArray(), s.Clients, s.TasksDone, 0, s.AdaptiveTarget, [], 0, 0);
    }

    /// <summary>The workers' log lines the scheduler keeps: <c>?after=SEQ&amp;worker=NAME&amp;level=N</c>.</summary>
    private async Task LogsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var after = ulong.TryParse(query["after"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var a) ? a : 0;
        var level = int.TryParse(query["level"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var l) ? l : 0;
        var worker = query["worker"].ToString() is { Length: > 0 } w ? w : null;
        var (lines, last) = await _scheduler.WorkerLogsAsync(after, worker, level)
            .WaitAsync(context.RequestAborted).ConfigureAwait(false);
        await Json(context, new
        {
            last_sequence = last,
            lines = lines.Select(x => new
            {
                sequence = x.Sequence, worker = x.Worker, time = DateTimeOffset.UnixEpoch.AddTicks((long)(x.UnixSeconds * TimeSpan.TicksPerSecond)),
                level = x.Level, category = x.Category, message = x.Message, task_key = x.Key.Length == 0 ? null : x.Key,
            }).ToArray(),
        }).ConfigureAwait(false);
    }

    private async Task GraphAsync(HttpContext context)
    {
        var graph = await _scheduler.GraphAsync(GraphTaskLimit).WaitAsync(context.RequestAborted).ConfigureAwait(false);
        if (graph is { } g)
        {
            await Json(context, new
            {
                complete = true,
                tasks = g.Keys.Select((k, i) => new { key = k, group = g.Groups[i], state = g.States[i], dependencies = g.Dependencies[i] }).ToArray(),
            }).ConfigureAwait(false);
            return;
        }

        var snapshot = await _scheduler.SnapshotAsync().WaitAsync(context.RequestAborted).ConfigureAwait(false);
        await Json(context, new
        {
            complete = false,
            limit = GraphTaskLimit,
            groups = snapshot.Groups.Select(x => new { name = x.Name, states = DashboardJson.States(_feed.StateNames, x.States) }).ToArray(),
        }).ConfigureAwait(false);
    }

    private Task InfoAsync(HttpContext context) => Json(context, new
    {
        shoal_version = Protocol.ProtocolVersion.ShoalVersion,
        dotnet_version = Environment.Version.ToString(),
        os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        scheduler_id = _scheduler.Id,
        scheduler_address = _scheduler.Address,
        dashboard = Link,
        started = _started,
        uptime_seconds = (DateTimeOffset.UtcNow - _started).TotalSeconds,
        interval_ms = _options.Interval.TotalMilliseconds,
        open_on_loopback = Access.Open,
        https = Access.Secure,
        options = _scheduler.DescribeOptions(),
        stream = new { events = _feed.Last?.StreamEvents ?? 0, lost = _feed.Last?.StreamLost ?? 0, subscribers = _feed.Subscribers },
    });

    private async Task RetireWorkersAsync(HttpContext context)
    {
        if (DashboardAccess.RefuseChange(context) is { } refusal)
        {
            context.Response.StatusCode = refusal;
            await Text(context, refusal switch
            {
                StatusCodes.Status403Forbidden => "403: retiring workers needs the admin role\n",
                StatusCodes.Status405MethodNotAllowed => "405: use POST\n",
                _ => "415: send application/json\n",
            }).ConfigureAwait(false);
            return;
        }

        RetireRequestBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<RetireRequestBody>(context.Request.Body, DashboardJson.Options, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await Text(context, $"400: the body is not JSON of the form {{\"workers\": [names or addresses]}} or {{\"n\": count}}: {e.Message}\n").ConfigureAwait(false);
            return;
        }

        var workers = body?.Workers ?? [];
        int n = body?.N ?? 0;
        if (workers.Length == 0 && n <= 0)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await Text(context, "400: name the workers to retire (\"workers\") or how many (\"n\" > 0)\n").ConfigureAwait(false);
            return;
        }

        var retired = await _scheduler.RetireWorkersAsync(workers, n).WaitAsync(context.RequestAborted).ConfigureAwait(false);
        await Json(context, new { retired }).ConfigureAwait(false);
    }

    /// <summary>Server-sent events: one "update" per interval while the browser reads; a browser that stops reading holds a bounded backlog.</summary>
    private async Task StreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        var reader = _feed.Subscribe(out var subscription);
        using (subscription)
        {
            var prefix = "event: update\ndata: "u8.ToArray();
            var suffix = "\n\n"u8.ToArray();
            try
            {
                await context.Response.Body.WriteAsync(": connected\n\n"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                await foreach (var update in reader.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
                {
                    await context.Response.Body.WriteAsync(prefix, context.RequestAborted).ConfigureAwait(false);
                    await context.Response.Body.WriteAsync(update, context.RequestAborted).ConfigureAwait(false);
                    await context.Response.Body.WriteAsync(suffix, context.RequestAborted).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // the browser went away
            }
            catch (IOException)
            {
                // the connection broke
            }
        }
    }

    private static Task Asset(HttpContext context, string name)
    {
        var bytes = DashboardAssets.Get(name);
        if (bytes is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Text(context, "404: no such page\n");
        }

        context.Response.ContentType = DashboardAssets.ContentType(name);
        context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    private static Task Json(HttpContext context, object value)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(value, DashboardJson.Options)).AsTask();
    }

    private static Task Text(HttpContext context, string text)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();
    }

    public async ValueTask DisposeAsync()
    {
        await _feed.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _app.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // An event stream still open: disposing closes it.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _prometheus?.Dispose();
    }

    private sealed record RetireRequestBody(string[]? Workers, int? N);
}

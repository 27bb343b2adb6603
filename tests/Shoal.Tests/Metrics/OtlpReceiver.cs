using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Shoal.Tests.Metrics.Otlp;

namespace Shoal.Tests.Metrics;

/// <summary>
/// An OTLP/HTTP metrics receiver on loopback, as a collector would be: accepts
/// <c>POST /v1/metrics</c> (application/x-protobuf), decodes each export request and keeps the
/// latest value of every series it saw (the exporter's sums are cumulative).
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, double> _latest = new(StringComparer.Ordinal);
    private int _requests;

    private OtlpReceiver(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Resource attributes seen (service.name, ...), last request wins.</summary>
    public ConcurrentDictionary<string, string> Resource { get; } = new(StringComparer.Ordinal);

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton<ILoggerFactory>(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/metrics", receiver.ReceiveAsync);
        await app.StartAsync();
        receiver.Endpoint = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    /// <summary>The latest value of <paramref name="metric"/> from the meter <paramref name="scope"/> whose scope attributes include <paramref name="scopeTag"/> and whose point attributes include <paramref name="pointTag"/> (summed over matching points).</summary>
    public double? Value(string scope, (string Key, string Value) scopeTag, string metric, (string Key, string Value)? pointTag = null)
    {
        var prefix = $"{scope}|{scopeTag.Key}={scopeTag.Value}|{metric}|";
        var matching = _latest.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)
            && (pointTag is not { } t || p.Key[prefix.Length..].Split(',').Contains($"{t.Key}={t.Value}"))).ToArray();
        return matching.Length == 0 ? null : matching.Sum(p => p.Value);
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var request = ExportMetricsServiceRequest.Parser.ParseFrom(body.ToArray());
        foreach (var resource in request.ResourceMetrics)
        {
            foreach (var a in resource.Resource?.Attributes ?? []) Resource[a.Key] = Text(a.Value);
            foreach (var scope in resource.ScopeMetrics)
            {
                var scopeKey = scope.Scope.Name + "|" + string.Join(',', scope.Scope.Attributes.Select(a => $"{a.Key}={Text(a.Value)}"));
                foreach (var metric in scope.Metrics)
                {
                    foreach (var (attributes, value) in Points(metric))
                    {
                        _latest[$"{scopeKey}|{metric.Name}|{string.Join(',', attributes.Select(a => $"{a.Key}={Text(a.Value)}"))}"] = value;
                    }
                }
            }
        }

        Interlocked.Increment(ref _requests);
        context.Response.ContentType = "application/x-protobuf";
    }

    private static IEnumerable<(IEnumerable<KeyValue> Attributes, double Value)> Points(Metric metric) => metric.DataCase switch
    {
        Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Select(p => ((IEnumerable<KeyValue>)p.Attributes, Number(p))),
        Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Select(p => ((IEnumerable<KeyValue>)p.Attributes, Number(p))),
        Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Select(p => ((IEnumerable<KeyValue>)p.Attributes, (double)p.Count)),
        _ => [],
    };

    private static double Number(NumberDataPoint p) => p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : p.AsDouble;

    private static string Text(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        _ => "",
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

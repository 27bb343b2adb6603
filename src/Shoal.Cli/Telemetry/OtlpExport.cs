using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Shoal.Cli.Telemetry;

/// <summary>
/// Pushes a Shoal process's meter (<c>Shoal.Scheduler</c> or <c>Shoal.Worker</c>) to an
/// OpenTelemetry collector with OpenTelemetry's own OTLP exporter. Lives in the CLI, not in the
/// Shoal library: a program that embeds Shoal adds the meters to its own MeterProvider
/// (<c>AddMeter("Shoal.Client")</c>, ...) instead, and the library carries no exporter.
/// </summary>
internal static class OtlpExport
{
    public const string HttpProtobuf = "http/protobuf";
    public const string Grpc = "grpc";

    /// <summary>How often metrics are pushed when no interval is given.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    /// <summary>Why <paramref name="endpoint"/> is no collector address, null when it is one.</summary>
    public static string? CheckEndpoint(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
            ? null
            : "expected an http:// or https:// address, e.g. http://collector:4318";

    /// <summary>
    /// Starts the export of <paramref name="meters"/>, null when <paramref name="endpoint"/> is null.
    /// With http/protobuf, an endpoint without a path gets OTLP's <c>/v1/metrics</c> (as the
    /// exporter does for the standard environment variables, but not for an endpoint set in code).
    /// </summary>
    public static MeterProvider? Start(string? endpoint, string? protocol, TimeSpan? interval, string serviceName, params string[] meters)
    {
        if (endpoint is null) return null;
        var grpc = protocol == Grpc;
        var uri = new Uri(endpoint);
        if (!grpc && uri.AbsolutePath is "" or "/") uri = new Uri(uri, "/v1/metrics");
        return Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceVersion: Protocol.ProtocolVersion.ShoalVersion, serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}"))
            .AddMeter(meters)
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Endpoint = uri;
                exporter.Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)Math.Max(100, (interval ?? DefaultInterval).TotalMilliseconds);
            })
            .Build();
    }
}

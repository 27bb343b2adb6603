using System.CommandLine;

namespace Shoal.Cli.Telemetry;

/// <summary>
/// The OpenTelemetry export flags <c>scheduler</c> and <c>worker</c> share: push the process's
/// meter to a collector over OTLP (<see cref="OtlpExport"/>).
/// </summary>
internal sealed class OtlpFlags
{
    public Option<string?> Endpoint { get; } = new("--otlp-endpoint")
    {
        Description = "Push metrics to this OpenTelemetry collector (OTLP), e.g. http://collector:4318 (http/protobuf) or http://collector:4317 (grpc)",
        HelpName = "URL",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 0 ? null : result.Tokens[0].Value;
            if (text is null) return null;
            if (OtlpExport.CheckEndpoint(text) is { } reason) result.AddError($"invalid --otlp-endpoint '{text}': {reason}");
            return text;
        },
    };

    public Option<string> Protocol { get; } = new Option<string>("--otlp-protocol")
    {
        Description = "OTLP transport: http/protobuf or grpc",
        HelpName = "PROTOCOL",
        DefaultValueFactory = _ => OtlpExport.HttpProtobuf,
    }.AcceptOnlyFromAmong(OtlpExport.HttpProtobuf, OtlpExport.Grpc);

    public Option<TimeSpan?> Interval { get; } = Parsing.CliOptions.Duration("--otlp-interval", "How often metrics are pushed, e.g. 10s (default: 10s)");

    public IEnumerable<Option> All => [Endpoint, Protocol, Interval];
}

using System.CommandLine;
using Shoal.Cli.Parsing;
using Shoal.Hosting;

namespace Shoal.Cli.Commands;

/// <summary><c>shoal scheduler</c>: runs a standalone scheduler.</summary>
internal sealed class SchedulerCommand
{
    private static readonly SchedulerHostOptions Defaults = new();

    private readonly Option<string?> host = CliOptions.Host("--host", "Address to listen on", Defaults.Host);
    private readonly Option<int> port = CliOptions.Port("--port", "Port for workers and clients (0: any free port)", Defaults.Port);
    private readonly Option<string?> dashboardAddress = CliOptions.DashboardAddress("--dashboard-address", "Serve the dashboard here: HOST:PORT or :PORT on the scheduler's host (0: any free port)", Defaults.DashboardAddress);
    private readonly Option<int?> dashboardPort = CliOptions.OptionalPort("--dashboard-port", "Serve the dashboard on this port (0: any free port; default 8787, or a free port when it is taken)");
    private readonly Option<bool> noDashboard = new("--no-dashboard") { Description = "Serve no dashboard" };
    private readonly Option<TimeSpan?> idleTimeout = CliOptions.Duration("--idle-timeout", "Shut down after this long with no client and no work, e.g. 1h (default: never)");
    private readonly SecurityFlags security = new();
    private readonly Telemetry.OtlpFlags otlp = new();
    private readonly Option<bool> insecure = new("--insecure") { Description = "Listen off loopback without TLS or authentication (anyone who reaches the port runs code on every worker)" };

    public SchedulerCommand(CliContext context)
    {
        Command = new Command("scheduler", "Run a scheduler that workers and clients connect to")
        {
            host, port, dashboardAddress, dashboardPort, noDashboard, idleTimeout, insecure,
        };
        foreach (var option in security.All) Command.Options.Add(option);
        foreach (var option in otlp.All) Command.Options.Add(option);
        Command.SetAction((parse, ct) =>
            context.RunHostAsync("shoal scheduler", () => context.Hosts.RunScheduler(ToOptions(parse) with { Credentials = context.Credentials }, context.Stdout, ct), ct));
    }

    public Command Command { get; }

    /// <summary>The options record the parsed command line stands for.</summary>
    public SchedulerHostOptions ToOptions(ParseResult parse) => new()
    {
        Host = parse.GetValue(host) ?? Defaults.Host,
        Port = parse.GetValue(port),
        DashboardAddress = parse.GetValue(noDashboard) ? null : parse.GetValue(dashboardAddress),
        DashboardPort = parse.GetValue(noDashboard) ? null : parse.GetValue(dashboardPort),
        IdleTimeout = parse.GetValue(idleTimeout),
        Security = security.ToSecurity(parse),
        Insecure = parse.GetValue(insecure),
        OtlpEndpoint = parse.GetValue(otlp.Endpoint),
        OtlpProtocol = parse.GetValue(otlp.Endpoint) is null ? null : parse.GetValue(otlp.Protocol),
        OtlpInterval = parse.GetValue(otlp.Interval),
    };
}

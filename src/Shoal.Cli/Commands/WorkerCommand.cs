using System.CommandLine;
using Shoal.Cli.Parsing;
using Shoal.Hosting;

namespace Shoal.Cli.Commands;

/// <summary><c>shoal worker ADDRESS</c>: runs workers that join a scheduler.</summary>
internal sealed class WorkerCommand
{
    private readonly Argument<string> address = CliOptions.SchedulerAddress("ADDRESS", "The scheduler to join: tcp://host:port, host:port or tls://host:port");
    private readonly Option<int> nthreads = CliOptions.Count("--nthreads", "Threads running tasks in each worker", 1, () => Environment.ProcessorCount);
    private readonly Option<int> nworkers = CliOptions.Count("--nworkers", "Number of worker processes to start", 1, () => 1);
    private readonly Option<string?> name = new("--name") { Description = "Name of the worker as the scheduler shows it (default: $SHOAL_WORKER_NAME, else HOST-PID)", HelpName = "NAME" };
    private readonly Option<CliOptions.SizeSetting> memoryLimit = CliOptions.Size("--memory-limit", "Memory limit per worker, e.g. 6GB or 512MiB; 0: no limit (default: total memory / nworkers)");
    private readonly Option<IReadOnlyDictionary<string, double>> resources = CliOptions.Resources("--resources", "Abstract resources each worker offers, e.g. GPU=1,MEM=8e9");
    private readonly Option<TimeSpan?> deathTimeout = CliOptions.Duration("--death-timeout", "Exit after this long without reaching the scheduler, e.g. 60s (default: never)");
    private readonly Option<string?> listenHost = CliOptions.Host("--host", "Address to listen on for peers (default: the one that reaches the scheduler)", null);
    private readonly SecurityFlags security = new();
    private readonly Telemetry.OtlpFlags otlp = new();
    private readonly Option<string?> localDirectory = new("--local-directory") { Description = "Directory for spilled results (default: the system temp directory)", HelpName = "DIR" };
    private readonly Option<double> memoryTarget = CliOptions.Fraction("--memory-target-fraction", "Spill results to disk past this fraction of the memory limit (0: never)", WorkerHostOptions.Defaults.MemoryTargetFraction);
    private readonly Option<double> memoryPause = CliOptions.Fraction("--memory-pause-fraction", "Start no new tasks past this fraction of the memory limit in process memory (0: never)", WorkerHostOptions.Defaults.MemoryPauseFraction);
    private readonly Option<double> memoryTerminate = CliOptions.Fraction("--memory-terminate-fraction", "The nanny restarts the worker past this fraction of the memory limit (0: never)", WorkerHostOptions.Defaults.MemoryTerminateFraction);
    private readonly Option<bool> noNanny = new("--no-nanny") { Description = "Run the worker directly, without a nanny process that restarts it when it dies" };
    private readonly Option<int?> httpPort = CliOptions.OptionalPort("--http-port", "Serve each worker's /metrics on this port (+ the worker's index with --nworkers; 0: free ports; default: none)");
    private readonly Option<Microsoft.Extensions.Logging.LogLevel> logForwardLevel = new Option<Microsoft.Extensions.Logging.LogLevel>("--log-forward-level")
    {
        Description = "Send the worker's own log lines at or above this level to the scheduler (tasks' lines go from Information up)",
        HelpName = "LEVEL",
        DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Warning,
    };
    private readonly Option<bool> insecure = new("--insecure") { Description = "Serve data to peers and clients without TLS on a non-loopback --host (anyone who reaches the port reads results)" };

    public WorkerCommand(CliContext context)
    {
        Command = new Command("worker", "Run workers that join a scheduler")
        {
            address, nthreads, nworkers, name, memoryLimit, resources, deathTimeout, listenHost, localDirectory,
            memoryTarget, memoryPause, memoryTerminate, noNanny, insecure, httpPort, logForwardLevel,
        };
        foreach (var option in security.All) Command.Options.Add(option);
        foreach (var option in otlp.All) Command.Options.Add(option);
        Command.SetAction((parse, ct) =>
            context.RunHostAsync("shoal worker", () => context.Hosts.RunWorker(ToOptions(parse) with { Credentials = context.Credentials }, context.Stdout, ct), ct));
    }

    public Command Command { get; }

    /// <summary>The options record the parsed command line stands for.</summary>
    public WorkerHostOptions ToOptions(ParseResult parse) => new()
    {
        SchedulerAddress = parse.GetRequiredValue(address),
        NThreads = parse.GetValue(nthreads),
        NWorkers = parse.GetValue(nworkers),
        // A pod's name reaches it through the environment (the downward API), which args cannot always expand.
        Name = parse.GetValue(name) ?? (Environment.GetEnvironmentVariable("SHOAL_WORKER_NAME") is { Length: > 0 } fromEnvironment ? fromEnvironment : null),
        MemoryLimit = parse.GetValue(memoryLimit).Bytes,
        Resources = parse.GetValue(resources) ?? new Dictionary<string, double>(),
        DeathTimeout = parse.GetValue(deathTimeout),
        ListenHost = parse.GetValue(listenHost),
        Security = security.ToSecurity(parse),
        LocalDirectory = parse.GetValue(localDirectory),
        Nanny = !parse.GetValue(noNanny),
        MemoryTargetFraction = parse.GetValue(memoryTarget),
        MemoryPauseFraction = parse.GetValue(memoryPause),
        MemoryTerminateFraction = parse.GetValue(memoryTerminate),
        Insecure = parse.GetValue(insecure),
        OtlpEndpoint = parse.GetValue(otlp.Endpoint),
        OtlpProtocol = parse.GetValue(otlp.Endpoint) is null ? null : parse.GetValue(otlp.Protocol),
        OtlpInterval = parse.GetValue(otlp.Interval),
        HttpPort = parse.GetValue(httpPort),
        LogForwardLevel = parse.GetValue(logForwardLevel),
    };
}

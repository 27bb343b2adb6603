using System.CommandLine;
using Shoal.Cli.Parsing;
using Shoal.Hosting;

namespace Shoal.Cli.Commands;

/// <summary><c>shoal local</c>: a single-node cluster (scheduler and worker processes) in one command.</summary>
internal sealed class LocalCommand
{
    private static readonly LocalHostOptions Defaults = new();

    private readonly Option<CliOptions.CountSetting> workers = CliOptions.CountOrAuto("--workers",
        "Number of worker processes; auto: one per processor (in a container: its CPU limit), each with one thread", 1, Defaults.Workers);
    private readonly Option<int?> threadsPerWorker = CliOptions.OptionalCount("--threads-per-worker", "Threads running tasks in each worker (default: processors / workers)", 1);
    private readonly Option<CliOptions.SizeSetting> memoryPerWorker = CliOptions.Size("--memory-per-worker", "Memory limit per worker, e.g. 4GB; 0: no limit (default: total memory / workers)");
    private readonly Option<string?> host = CliOptions.Host("--host", "Address the scheduler listens on", Defaults.Host);
    private readonly Option<int> port = CliOptions.Port("--port", "Port of the scheduler (0: any free port)", Defaults.Port);
    private readonly Option<int?> httpPort = CliOptions.OptionalPort("--http-port", "Serve each worker's /metrics on this port (+ the worker's index; 0: free ports; default: none)");
    private readonly SecurityFlags security = new();
    private readonly Option<string?> workerCertificate = new("--tls-worker-cert") { Description = "The workers' certificate (PEM, signed by the cluster CA; --tls-cert is the scheduler's)", HelpName = "FILE" };
    private readonly Option<string?> workerKey = new("--tls-worker-key") { Description = "The private key of --tls-worker-cert (PEM)", HelpName = "FILE" };

    public LocalCommand(CliContext context)
    {
        Command = new Command("local", "Run a scheduler and worker processes on this machine; prints the scheduler address first")
        {
            workers, threadsPerWorker, memoryPerWorker, host, port, httpPort, workerCertificate, workerKey,
        };
        foreach (var option in security.All) Command.Options.Add(option);
        Command.SetAction((parse, ct) =>
            context.RunHostAsync("shoal local", () => context.Hosts.RunLocal(ToOptions(parse) with { Credentials = context.Credentials }, context.Stdout, ct), ct));
    }

    public Command Command { get; }

    /// <summary>The options record the parsed command line stands for.</summary>
    public LocalHostOptions ToOptions(ParseResult parse) => new()
    {
        // auto: a worker per processor the runtime sees (it honours a container's CPU quota); memory is shared out
        // of what the GC sees (a container's cgroup limit) by LocalHostOptions as for any count.
        Workers = parse.GetValue(workers).Count ?? Environment.ProcessorCount,
        ThreadsPerWorker = parse.GetValue(threadsPerWorker) ?? (parse.GetValue(workers).Count is null ? 1 : null),
        MemoryPerWorker = parse.GetValue(memoryPerWorker).Bytes,
        Host = parse.GetValue(host) ?? Defaults.Host,
        Port = parse.GetValue(port),
        WorkerHttpPort = parse.GetValue(httpPort),
        Security = ToSecurity(parse),
    };

    /// <summary>
    /// The scheduler's credentials from the shared flags plus the workers' certificate: TLS needs
    /// both certificates (a process proves one role), and the same CA.
    /// </summary>
    private SecurityOptions? ToSecurity(ParseResult parse)
    {
        var scheduler = security.ToSecurity(parse);
        var (certificate, key) = (parse.GetValue(workerCertificate), parse.GetValue(workerKey));
        if ((certificate is null) != (key is null)) throw new ArgumentException("--tls-worker-cert and --tls-worker-key go together");
        if (scheduler is not { UsesTls: true })
        {
            if (certificate is not null) throw new ArgumentException("--tls-worker-cert needs --tls-ca-file, --tls-cert and --tls-key (the scheduler's)");
            return scheduler;
        }

        if (certificate is null) throw new ArgumentException("TLS needs the workers' certificate too: --tls-worker-cert and --tls-worker-key (worker.pem and worker-key.pem from `shoal certs create`)");
        var workers = SecurityOptions.FromPemFiles(parse.GetValue(security.CaFile)!, certificate, key!);
        if (Shoal.Security.CertificateRoles.Of(workers.Certificate!) != Protocol.Messages.Role.Worker)
            throw new ArgumentException($"--tls-worker-cert {certificate} is not a worker certificate (use worker.pem from `shoal certs create`)");
        return scheduler.WithCertificatesOf(workers);
    }
}

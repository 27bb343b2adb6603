using System.CommandLine;
using Shoal.Cli.Parsing;
using Shoal.Deploy;

namespace Shoal.Cli.Commands;

/// <summary>
/// <c>shoal ssh HOST...</c> (as <c>dask-ssh</c>): a scheduler on the first host and workers on the
/// others, reached with the system ssh client; runs until Ctrl-C, then stops every remote process.
/// </summary>
internal sealed class SshCommand
{
    private readonly Argument<string[]> hosts = new("HOST") { Description = "[user@]host: the first runs the scheduler, the others workers (the first too when alone)", Arity = ArgumentArity.OneOrMore };
    private readonly Option<int> nworkers = CliOptions.Count("--nworkers", "Workers on each worker host", 1, () => 1);
    private readonly Option<int> nthreads = CliOptions.Count("--nthreads", "Threads running tasks in each worker", 1, () => 1);
    private readonly Option<CliOptions.SizeSetting> memoryLimit = CliOptions.Size("--memory-limit", "Memory limit per worker, e.g. 6GB; 0: no limit (default: none)");
    private readonly Option<int> schedulerPort = CliOptions.Port("--scheduler-port", "Port of the scheduler on the first host (0: any free port)", 8786);
    private readonly Option<int?> dashboardPort = CliOptions.OptionalPort("--dashboard-port", "The scheduler's dashboard port (default 8787, or a free port when it is taken)");
    private readonly Option<bool> noDashboard = new("--no-dashboard") { Description = "Serve no dashboard" };
    private readonly Option<string?> user = new("--ssh-username") { Description = "Log in as this user (default: ssh's)", HelpName = "USER" };
    private readonly Option<int?> sshPort = CliOptions.OptionalPort("--ssh-port", "The hosts' SSH port (default: ssh's)");
    private readonly Option<string?> key = new("--ssh-private-key") { Description = "A private key file (default: ssh's keys and the agent)", HelpName = "FILE" };
    private readonly Option<string?> knownHosts = new("--known-hosts") { Description = "The known_hosts file host keys are checked against (default: ~/.ssh/known_hosts)", HelpName = "FILE" };
    private readonly Option<bool> acceptNew = new("--accept-new-host-keys") { Description = "Trust and record the key of a host not in known_hosts yet (a changed key is still refused)" };
    private readonly Option<string?> jump = new("--jump-host") { Description = "Reach the hosts through this jump host ([user@]host[:port], as ssh -J)", HelpName = "HOST" };
    private readonly Option<string?> sshConfig = new("--ssh-config") { Description = "An ssh configuration file to use instead of ~/.ssh/config", HelpName = "FILE" };
    private readonly Option<string> remoteShoal = new("--remote-shoal") { Description = "The command that runs shoal on the hosts (default: shoal)", HelpName = "COMMAND", DefaultValueFactory = _ => "shoal" };
    private readonly Option<string?> credentials = new("--client-credentials") { Description = "Directory to write the client's TLS credentials to (default: a new one under ~/.shoal/ssh)", HelpName = "DIR" };

    public SshCommand(CliContext context)
    {
        Command = new Command("ssh", "Run a scheduler and workers on other hosts over SSH; prints the scheduler address first")
        {
            hosts, nworkers, nthreads, memoryLimit, schedulerPort, dashboardPort, noDashboard,
            user, sshPort, key, knownHosts, acceptNew, jump, sshConfig, remoteShoal, credentials,
        };
        Command.SetAction((parse, ct) => context.RunHostAsync("shoal ssh", () => RunAsync(ToOptions(parse), parse.GetValue(credentials), context.Stdout, ct), ct));
    }

    public Command Command { get; }

    /// <summary>The options record the parsed command line stands for.</summary>
    public SshClusterOptions ToOptions(ParseResult parse) => new()
    {
        Hosts = parse.GetRequiredValue(hosts),
        WorkersPerHost = parse.GetValue(nworkers),
        ThreadsPerWorker = parse.GetValue(nthreads),
        MemoryLimitPerWorker = parse.GetValue(memoryLimit).Bytes ?? 0,
        SchedulerPort = parse.GetValue(schedulerPort),
        DashboardPort = parse.GetValue(noDashboard) ? null : parse.GetValue(dashboardPort) ?? 8787,
        Ssh = new SshOptions
        {
            User = parse.GetValue(user),
            Port = parse.GetValue(sshPort),
            IdentityFile = parse.GetValue(key),
            KnownHostsFile = parse.GetValue(knownHosts),
            AcceptNewHostKeys = parse.GetValue(acceptNew),
            JumpHost = parse.GetValue(jump),
            ConfigFile = parse.GetValue(sshConfig),
            RemoteShoal = parse.GetValue(remoteShoal) ?? "shoal",
        },
    };

    private static async Task<int> RunAsync(SshClusterOptions options, string? credentialsDirectory, TextWriter stdout, CancellationToken cancellationToken)
    {
        using var loggers = Hosting.HostLogging.Create(stdout);
        await using var cluster = await SshCluster.StartAsync(options with { LoggerFactory = loggers }, cancellationToken).ConfigureAwait(false);
        using var files = ClientCredentialFiles.Write(cluster.Security, credentialsDirectory);
        await stdout.WriteLineAsync($"Scheduler at: {cluster.SchedulerAddress}").ConfigureAwait(false);
        if (cluster.DashboardLink is { } link) await stdout.WriteLineAsync($"Dashboard at: {link}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"Workers: {string.Join(", ", cluster.WorkerHosts.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => $"{w.Key} on {w.Value}"))}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"Client credentials: {files.Describe()}").ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        await Hosting.HostLogging.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}

/// <summary>
/// The client's share of a <c>shoal ssh</c> cluster's credentials as PEM files, in a directory only
/// this user can open (0700, files 0600), removed when the cluster stops.
/// </summary>
internal sealed class ClientCredentialFiles : IDisposable
{
    private readonly string _directory;
    private readonly bool _created;

    private ClientCredentialFiles(string directory, bool created)
    {
        _directory = directory;
        _created = created;
    }

    public static ClientCredentialFiles Write(SecurityOptions security, string? directory)
    {
        var created = directory is null;
        directory ??= Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".shoal", "ssh", Guid.NewGuid().ToString("N")[..8]);
        var info = Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows()) info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var certificate = security.Certificate ?? throw new InvalidOperationException("the cluster's credentials hold no client certificate");
        using var ecdsa = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPrivateKey(certificate);
        var key = ecdsa?.ExportPkcs8PrivateKeyPem() ?? throw new InvalidOperationException("the client certificate has no ECDSA key");
        WritePrivate(Path.Join(directory, "ca.pem"), security.CaCertificate!.ExportCertificatePem());
        WritePrivate(Path.Join(directory, "client.pem"), certificate.ExportCertificatePem());
        WritePrivate(Path.Join(directory, "client-key.pem"), key);
        return new ClientCredentialFiles(directory, created);
    }

    private static void WritePrivate(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        writer.Write(text);
    }

    public string Describe() =>
        $"SecurityOptions.FromPemFiles(\"{Path.Join(_directory, "ca.pem")}\", \"{Path.Join(_directory, "client.pem")}\", \"{Path.Join(_directory, "client-key.pem")}\")";

    public void Dispose()
    {
        foreach (var name in (string[])["ca.pem", "client.pem", "client-key.pem"]) File.Delete(Path.Join(_directory, name));
        if (_created) Directory.Delete(_directory);
    }
}

using System.CommandLine;
using Shoal.Cli.Parsing;
using Shoal.Protocol.Messages;
using Shoal.Security;

namespace Shoal.Cli.Commands;

/// <summary><c>shoal certs create</c>: a cluster CA and scheduler, worker and client certificates, in PEM files.</summary>
internal sealed class CertsCommand
{
    private readonly Option<string> outDir = new("--out") { Description = "Directory to write the PEM files to (created, mode 0700)", HelpName = "DIR", Required = true };
    private readonly Option<string[]> hosts = new("--hosts")
    {
        Description = "Host names and IPs the certificates name, comma separated or repeated (default: localhost, 127.0.0.1, ::1 and this machine)",
        HelpName = "HOSTS",
        AllowMultipleArgumentsPerToken = true,
    };
    // Parsed with its minimum (a command validator sees 0 for an option left out, not its default, and refused every bare `certs create`).
    private readonly Option<int> days = CliOptions.Count("--days", "Days the certificates are valid", 1, () => 365);

    public CertsCommand(CliContext context)
    {
        var create = new Command("create", "Create a cluster CA and scheduler, worker and client certificates and keys (PEM, mode 0600)")
        {
            outDir, hosts, days,
        };
        create.SetAction((parse, ct) => context.RunHostAsync("shoal certs create", () => CreateAsync(parse, context.Stdout), ct));
        Command = new Command("certs", "Manage TLS certificates for a cluster") { create };
    }

    public Command Command { get; }

    private async Task<int> CreateAsync(ParseResult parse, TextWriter stdout)
    {
        var directory = Path.GetFullPath(parse.GetRequiredValue(outDir));
        var names = (parse.GetValue(hosts) ?? []).SelectMany(h => h.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (names.Count == 0) names = [.. CertificateAuthority.DefaultHosts()];
        var validity = TimeSpan.FromDays(parse.GetValue(days));
        var written = ClusterCertificateFiles.Create(directory, names, validity);
        foreach (var file in written) await stdout.WriteLineAsync(file).ConfigureAwait(false);
        await stdout.WriteLineAsync($"""
            Start the scheduler with:  shoal scheduler --host 0.0.0.0 --tls-ca-file {Path.Join(directory, "ca.pem")} --tls-cert {Path.Join(directory, "scheduler.pem")} --tls-key {Path.Join(directory, "scheduler-key.pem")}
            and workers with:          shoal worker tls://HOST:8786 --tls-ca-file {Path.Join(directory, "ca.pem")} --tls-cert {Path.Join(directory, "worker.pem")} --tls-key {Path.Join(directory, "worker-key.pem")}
            Clients: SecurityOptions.FromPemFiles("ca.pem", "client.pem", "client-key.pem"). Keep ca-key.pem offline.
            """).ConfigureAwait(false);
        return 0;
    }
}

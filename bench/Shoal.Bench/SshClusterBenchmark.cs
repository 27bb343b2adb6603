using System.Diagnostics;
using System.Text.Json;
using Shoal.Deploy;

namespace Shoal.Bench;

/// <summary>
/// SshCluster onto SSH hosts (bench/ssh-hosts makes three in network namespaces): from StartAsync
/// to the scheduler on the first host and a worker on each other registered, then a first result.
/// Usage: ssh-cluster --hosts A,B,C --key FILE --known-hosts FILE [--user root] [--remote-shoal CMD] [--reps 5]
/// </summary>
public sealed class SshClusterBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "ssh-cluster";

    /// <inheritdoc />
    public string Description => "SshCluster: start to a scheduler and a worker per host registered (hosts from bench/ssh-hosts)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var hosts = a.List("hosts").SelectMany(h => h.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        if (hosts.Length == 0) throw new ArgumentException("--hosts A,B,C is required (bench/ssh-hosts up prints it)");
        var reps = a.Int("reps", 5);
        var cli = Path.Combine(AppContext.BaseDirectory, "Shoal.Cli.dll");
        var ssh = new SshOptions
        {
            User = a.Value("user") ?? "root",
            IdentityFile = a.Value("key"),
            KnownHostsFile = a.Value("known-hosts"),
            RemoteShoal = a.Value("remote-shoal") ?? $"{WorkerCommandLocator.DotnetHost()} {cli}",
        };
        var ready = new List<double>();
        var first = new List<double>();
        for (var rep = 0; rep < reps; rep++)
        {
            var clock = Stopwatch.StartNew();
            await using var cluster = await SshCluster.StartAsync(new SshClusterOptions { Hosts = hosts, Ssh = ssh, DashboardPort = null }, cancellationToken);
            ready.Add(clock.Elapsed.TotalSeconds);
            await using var client = await Client.ConnectAsync(cluster, cancellationToken: cancellationToken);
            await client.Submit(static () => 1).ResultAsync(cancellationToken);
            first.Add(clock.Elapsed.TotalSeconds);
            Console.Error.WriteLine($"rep {rep + 1}: {hosts.Length} hosts ready in {ready[^1]:0.000} s, first result at {first[^1]:0.000} s");
        }

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = Name, hosts = hosts.Length, reps,
            ready_median_s = BenchStats.Median(ready), ready_all_s = ready,
            first_result_median_s = BenchStats.Median(first), first_result_all_s = first,
        }));
        return 0;
    }
}

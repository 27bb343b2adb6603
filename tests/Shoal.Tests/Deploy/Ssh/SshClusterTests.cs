using System.Security.Cryptography.X509Certificates;
using Shoal.Deploy;
using Shoal.Tests.EndToEnd;
using Shoal.Tests.NetworkNamespaces;
using Xunit.Abstractions;

namespace Shoal.Tests.Deploy.Ssh;

/// <summary>
/// SshCluster onto network-namespace hosts running the real sshd (<see cref="SshHosts"/>): the
/// scheduler on <c>s</c>, a worker on each of <c>w1</c> and <c>w2</c>, the client in the root namespace.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class SshClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Step = E2E.Timeout;

    private static SshClusterOptions Options(SshHosts hosts) => new()
    {
        Hosts = [.. NetnsCluster.Hosts.Select(hosts.Ip)],
        Ssh = hosts.Ssh,
        DashboardPort = 0,
    };

    /// <summary>Polls until no process but sshd's listener is left on any host (sshd's session processes end just after their channel).</summary>
    private static async Task NothingLeftAsync(SshHosts hosts, params string[] on)
    {
        string Left() => string.Join("; ", on.Select(h => $"{h}: {string.Join(' ', hosts.RemoteProcesses(h).Select(Describe))}"));
        (await E2E.PollAsync(() => on.All(h => hosts.RemoteProcesses(h).Length == 0), Step)).ShouldBeTrue($"remote processes left: {Left()}");
    }

    private static string ReadProc(int pid, string file)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{file}");
        }
        catch (IOException)
        {
            return ""; // ended meanwhile
        }
    }

    private static string Describe(int pid)
    {
        try
        {
            return $"{pid}({File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()})";
        }
        catch (IOException)
        {
            return pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [Fact]
    public async Task A_computation_runs_on_ssh_hosts_and_DisposeAsync_leaves_no_remote_process()
    {
        await using var hosts = await SshHosts.StartAsync();
        var cluster = await SshCluster.StartAsync(Options(hosts)).WaitAsync(Step);
        try
        {
            cluster.SchedulerAddress.ShouldContain(hosts.Ip("s"));
            cluster.DashboardLink.ShouldNotBeNull().ShouldContain(hosts.Ip("s"));
            cluster.WorkerHosts.Values.Order(StringComparer.Ordinal).ShouldBe([hosts.Ip("w1"), hosts.Ip("w2")]);
            hosts.RemoteProcesses("s").ShouldNotBeEmpty();
            // The credentials went over the channel: no remote command line or environment holds a key or a certificate.
            var key = cluster.Security.Certificate!.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem().Split('\n')[1];
            var bundles = new[] { Protocol.Messages.Role.Scheduler, Protocol.Messages.Role.Worker }
                .Select(role => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Shoal.Security.CredentialBundle.Write(cluster.Security, role)))[..40]).ToArray();
            foreach (var pid in NetnsCluster.Hosts.SelectMany(hosts.RemoteProcesses))
            {
                var exposed = ReadProc(pid, "cmdline") + ReadProc(pid, "environ");
                exposed.ShouldNotContain("PRIVATE KEY");
                exposed.ShouldNotContain("BEGIN CERTIFICATE");
                exposed.ShouldNotContain(key);
                foreach (var bundle in bundles) exposed.ShouldNotContain(bundle); // as the channel carries them
            }

            await using var client = await Client.ConnectAsync(cluster).WaitAsync(Step);
            var squares = client.Map(static (int i) => (Worker: WorkerContext.Name, Square: i * i), Enumerable.Range(0, 40));
            var results = await client.GatherAsync(squares).WaitAsync(Step);
            results.Select(r => r.Square).ShouldBe(Enumerable.Range(0, 40).Select(i => i * i));
            results.Select(r => r.Worker).Distinct().Order(StringComparer.Ordinal).ShouldBe(cluster.WorkerNames.Order(StringComparer.Ordinal));

            await cluster.ScaleAsync(3).WaitAsync(Step); // a third worker, on the host with the fewest
            cluster.WorkerHosts.Count.ShouldBe(3);
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        await NothingLeftAsync(hosts, "s", "w1", "w2");
    }

    [Fact]
    public async Task A_worker_host_killed_mid_run_loses_nothing()
    {
        await using var hosts = await SshHosts.StartAsync();
        await using var cluster = await SshCluster.StartAsync(Options(hosts)).WaitAsync(Step);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(Step);
        // A first wave held on both workers, then a second that needs it; w2 dies, sshd and all, while the second runs.
        var first = client.Map(static async (int i) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20));
            return i * 10;
        }, Enumerable.Range(0, 30));
        await client.GatherAsync(first).WaitAsync(Step);
        var second = first.Select(f => client.Submit(static async (int v) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50));
            return v + 1;
        }, f)).ToArray();
        await Task.WhenAny(second.Select(f => f.ResultAsync())).WaitAsync(Step);
        hosts.Network.KillHost("w2");
        output.WriteLine($"w2 killed after {second.Count(f => f.Status == FutureStatus.Finished)} of {second.Length} finished");

        var results = await client.GatherAsync(second).WaitAsync(Step);
        results.ShouldBe(Enumerable.Range(0, 30).Select(i => i * 10 + 1));
        (await client.GetClusterInfoAsync().WaitAsync(Step)).Workers.Select(w => w.Name).ShouldHaveSingleItem();

        // Scaling back to two replaces the lost worker; w2 is unreachable now, so the new one goes to w1.
        await cluster.ScaleAsync(2).WaitAsync(Step);
        cluster.WorkerHosts.Values.ShouldBe([hosts.Ip("w1"), hosts.Ip("w1")]);
        (await client.GetClusterInfoAsync().WaitAsync(Step)).Workers.Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_dropped_ssh_connection_ends_its_remote_worker()
    {
        await using var hosts = await SshHosts.StartAsync();
        await using var cluster = await SshCluster.StartAsync(Options(hosts) with { Hosts = [hosts.Ip("s"), hosts.Ip("w1")] }).WaitAsync(Step);
        var sessions = hosts.RemoteProcesses("w1").Where(pid => Describe(pid).Contains("sshd", StringComparison.Ordinal)).ToArray();
        sessions.ShouldNotBeEmpty();
        foreach (var pid in sessions) NetnsCluster.Run("kill", "-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await NothingLeftAsync(hosts, "w1");
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(Step);
        (await E2E.PollAsync(async () => (await client.GetClusterInfoAsync()).Workers.Count == 0, Step)).ShouldBeTrue("the scheduler still counts the worker");
    }

    [Fact]
    public async Task Shoal_ssh_serves_a_client_and_leaves_no_remote_process_when_killed()
    {
        await using var hosts = await SshHosts.StartAsync();
        var ssh = hosts.Ssh;
        var credentials = Path.Join(hosts.Directory, "client");
        await using var cli = ShoalProcess.Start([
            "ssh", hosts.Ip("s"), hosts.Ip("w1"), hosts.Ip("w2"),
            "--scheduler-port", "0", "--dashboard-port", "0",
            "--ssh-username", "root", "--ssh-private-key", hosts.UserKey, "--known-hosts", hosts.KnownHosts,
            "--remote-shoal", ssh.RemoteShoal, "--client-credentials", credentials,
        ], exitWithParent: false);
        var address = (await cli.WaitForLineAsync(l => l.StartsWith("Scheduler at: ", StringComparison.Ordinal), Step))["Scheduler at: ".Length..].Trim();
        await cli.WaitForLineAsync(l => l.StartsWith("Client credentials: ", StringComparison.Ordinal), Step);
        var security = SecurityOptions.FromPemFiles(Path.Join(credentials, "ca.pem"), Path.Join(credentials, "client.pem"), Path.Join(credentials, "client-key.pem"));
        await using (var client = await Client.ConnectAsync(address, new ClientOptions { Security = security }).WaitAsync(Step))
        {
            (await client.Submit(static () => WorkerContext.Name).ResultAsync().WaitAsync(Step)).ShouldStartWith("ssh-");
            (await client.GetClusterInfoAsync().WaitAsync(Step)).Workers.Count.ShouldBe(2);
        }

        hosts.RemoteProcesses("w1").ShouldNotBeEmpty();
        cli.KillAlone(); // SIGKILL, to the CLI alone: no clean-up of its own; the SSH connections close with it
        await NothingLeftAsync(hosts, "s", "w1", "w2");
    }
}

using Shoal.Deploy;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Deploy.Ssh;

/// <summary>What goes wrong reaching SSH hosts gives an error that names the host and what to do, and leaves nothing behind.</summary>
[Collection(RealProcessesCollection.Name)]
public sealed class SshBadInputTests
{
    private static async Task<string> FailureAsync(SshHosts hosts, SshOptions ssh, params string[] on)
    {
        var error = await E2E.CatchAsync(() => SshCluster.StartAsync(new SshClusterOptions { Hosts = on, Ssh = ssh, DashboardPort = null }).WaitAsync(E2E.Timeout));
        error.ShouldBeOfType<SshException>();
        // Nothing started anywhere, or it ended with its channel.
        (await E2E.PollAsync(() => hosts.RemoteProcesses("s").Length == 0, E2E.Timeout)).ShouldBeTrue("a remote process was left");
        return error.Message;
    }

    [Fact]
    public async Task Each_kind_of_bad_input_gives_a_clear_error()
    {
        await using var hosts = await SshHosts.StartAsync();
        var s = hosts.Ip("s");

        var unknownKey = Path.Join(hosts.Directory, "empty_known_hosts");
        await File.WriteAllTextAsync(unknownKey, "");
        var message = await FailureAsync(hosts, hosts.Ssh with { KnownHostsFile = unknownKey }, s);
        message.ShouldContain($"the host key of {s} is not in {unknownKey}");

        var changed = Path.Join(hosts.Directory, "changed_known_hosts");
        await File.WriteAllTextAsync(changed, $"{s} {(await File.ReadAllTextAsync(Path.Join(hosts.Directory, "w1_host_key.pub"))).Trim()}\n");
        message = await FailureAsync(hosts, hosts.Ssh with { KnownHostsFile = changed }, s);
        message.ShouldContain($"the host key of {s} differs");

        var otherKey = Path.Join(hosts.Directory, "not_authorized");
        NetworkNamespaces.NetnsCluster.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherKey);
        message = await FailureAsync(hosts, hosts.Ssh with { IdentityFile = otherKey }, s);
        message.ShouldContain($"{s} refused the login (key {otherKey})");

        var nobody = s[..s.LastIndexOf('.')] + ".250"; // in the test's subnet, where no host answers
        message = await FailureAsync(hosts, hosts.Ssh with { ConnectTimeout = TimeSpan.FromSeconds(2) }, nobody);
        message.ShouldContain($"{nobody} is unreachable over SSH");

        var oldShoal = Path.Join(hosts.Directory, "old-shoal");
        await File.WriteAllTextAsync(oldShoal, "#!/bin/sh\necho 0.0.1+abc\n");
        NetworkNamespaces.NetnsCluster.Run("chmod", "700", oldShoal);
        message = await FailureAsync(hosts, hosts.Ssh with { RemoteShoal = oldShoal }, s);
        message.ShouldContain($"wrong shoal version on {s}");
        message.ShouldContain("has shoal 0.0.1, this client " + SshCommandLine.LocalVersion);

        message = await FailureAsync(hosts, hosts.Ssh with { RemoteShoal = "/nonexistent/shoal" }, s);
        message.ShouldContain($"shoal cannot run on {s} as '/nonexistent/shoal'");
    }

    [Fact]
    public async Task A_key_held_by_an_ssh_agent_logs_in()
    {
        await using var hosts = await SshHosts.StartAsync();
        var socket = Path.Join(hosts.Directory, "agent.sock");
        await using var agent = ShoalProcess.StartCommand("ssh-agent", ["-D", "-a", socket]);
        await agent.WaitForLineAsync(l => l.StartsWith("SSH_AUTH_SOCK=", StringComparison.Ordinal), E2E.Timeout);
        var withoutKey = hosts.Ssh with { IdentityFile = null, ExtraOptions = [], AgentSocket = socket };
        (await FailureAsync(hosts, withoutKey, hosts.Ip("s"))).ShouldContain("refused the login"); // the agent holds nothing yet

        var add = new System.Diagnostics.ProcessStartInfo("ssh-add", ["-q", hosts.UserKey]) { RedirectStandardError = true };
        add.Environment["SSH_AUTH_SOCK"] = socket;
        using (var adding = System.Diagnostics.Process.Start(add)!)
        {
            await adding.WaitForExitAsync().WaitAsync(E2E.Timeout);
            adding.ExitCode.ShouldBe(0, await adding.StandardError.ReadToEndAsync());
        }

        await using var cluster = await SshCluster.StartAsync(new SshClusterOptions { Hosts = [hosts.Ip("s")], Ssh = withoutKey, DashboardPort = null }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        (await client.Submit(static () => 6 * 7).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
    }

    [Fact]
    public async Task Hosts_reached_only_through_a_jump_host_run_a_computation()
    {
        // w2's sshd takes logins only from w1's address: straight from here it refuses; through w1 it lets in.
        await using var hosts = await SshHosts.StartAsync(onlyThrough: ("w2", "w1"));
        var w2 = hosts.Ip("w2");
        var direct = hosts.Ssh with { ConfigFile = hosts.ConfigFile };
        (await FailureAsync(hosts, direct, w2)).ShouldContain($"{w2} refused the login");

        await using var cluster = await SshCluster.StartAsync(new SshClusterOptions
        {
            Hosts = [w2],
            Ssh = direct with { JumpHost = hosts.Ip("w1") },
            DashboardPort = null,
        }).WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        (await client.Submit(static (int a) => a + 1, 41).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
    }
}

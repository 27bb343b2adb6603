using System.Diagnostics;
using System.Net.Sockets;
using Shoal.Deploy;
using Shoal.Tests.EndToEnd;
using Shoal.Tests.NetworkNamespaces;

namespace Shoal.Tests.Deploy.Ssh;

/// <summary>
/// The three network-namespace hosts of a <see cref="NetnsCluster"/> (<c>s</c>, <c>w1</c>, <c>w2</c>),
/// each running Debian's real <c>sshd</c> on its own address with a host key made here; a user key
/// authorized on every host, and a known_hosts file naming each host's key. The remote side runs the
/// locally built shoal CLI (the namespaces share the file system). Disposing it kills everything in
/// the namespaces (sshd included) and deletes them and the temporary directory.
/// </summary>
public sealed class SshHosts : IAsyncDisposable
{
    private readonly Dictionary<string, int> _sshd = [];

    private SshHosts(NetnsCluster network, string directory)
    {
        Network = network;
        Directory = directory;
    }

    public NetnsCluster Network { get; }

    /// <summary>Keys, configuration and logs (removed at disposal).</summary>
    public string Directory { get; }

    public string UserKey => Path.Join(Directory, "id_ed25519");

    public string KnownHosts => Path.Join(Directory, "known_hosts");

    /// <summary>An ssh configuration (for jump hosts, where command-line settings do not reach).</summary>
    public string ConfigFile => Path.Join(Directory, "ssh_config");

    public string Ip(string host) => Network.Ip(host);

    /// <summary>How the cluster reaches the hosts: the user key, the known_hosts file, root, the built CLI.</summary>
    public SshOptions Ssh => new()
    {
        User = "root",
        IdentityFile = UserKey,
        KnownHostsFile = KnownHosts,
        RemoteShoal = $"{SshCommandLine.Quote(WorkerCommandLocator.DotnetHost())} {SshCommandLine.Quote(IsolatedCli.Path)}",
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ExtraOptions = ["IdentitiesOnly=yes"],
    };

    /// <summary>Creates the namespaces and starts sshd in each; <paramref name="onlyThrough"/>: that host takes logins only from the other's address (its jump host).</summary>
    public static async Task<SshHosts> StartAsync((string Host, string Jump)? onlyThrough = null)
    {
        var network = NetnsCluster.Create();
        var hosts = new SshHosts(network, System.IO.Directory.CreateTempSubdirectory("shoal-ssh-").FullName);
        try
        {
            await hosts.StartSshdAsync(onlyThrough);
        }
        catch
        {
            await hosts.DisposeAsync();
            throw;
        }

        return hosts;
    }

    private async Task StartSshdAsync((string Host, string Jump)? onlyThrough)
    {
        System.IO.Directory.CreateDirectory("/run/sshd"); // sshd's privilege-separation directory
        KeyGen(UserKey);
        File.Copy(UserKey + ".pub", Path.Join(Directory, "authorized_keys"));
        var known = new List<string>();
        foreach (var host in NetnsCluster.Hosts)
        {
            var hostKey = Path.Join(Directory, $"{host}_host_key");
            KeyGen(hostKey);
            known.Add($"{Ip(host)} {File.ReadAllText(hostKey + ".pub").Trim()}");
            var config = Path.Join(Directory, $"sshd_{host}.conf");
            File.WriteAllLines(config, [
                $"ListenAddress {Ip(host)}",
                $"HostKey {hostKey}",
                $"AuthorizedKeysFile {Path.Join(Directory, "authorized_keys")}",
                "PidFile none",
                "StrictModes no",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                .. onlyThrough is { } only && only.Host == host ? [$"AllowUsers root@{Ip(only.Jump)}"] : Array.Empty<string>(),
            ]);
            var sshd = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", Network.Namespace(host), "/usr/sbin/sshd", "-D", "-e", "-f", config])
            {
                RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
            })!;
            sshd.ErrorDataReceived += (_, e) => { if (e.Data is { } line) File.AppendAllLines(Path.Join(Directory, $"sshd_{host}.log"), [line]); };
            sshd.BeginErrorReadLine();
            sshd.BeginOutputReadLine();
            _sshd[host] = sshd.Id; // `ip netns exec` execs sshd: the same process
        }

        File.WriteAllLines(KnownHosts, known);
        File.WriteAllLines(ConfigFile, [
            "Host *",
            "  User root",
            $"  IdentityFile {UserKey}",
            "  IdentitiesOnly yes",
            $"  UserKnownHostsFile {KnownHosts}",
            "  GlobalKnownHostsFile /dev/null",
        ]);
        foreach (var host in NetnsCluster.Hosts) await WaitForPortAsync(Ip(host));
    }

    /// <summary>Waits until sshd accepts connections (it listens a moment after it starts).</summary>
    private static async Task WaitForPortAsync(string ip)
    {
        var ready = await E2E.PollAsync(async () =>
        {
            using var socket = new TcpClient();
            try
            {
                await socket.ConnectAsync(ip, 22);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, E2E.Timeout);
        ready.ShouldBeTrue($"sshd on {ip} never listened");
    }

    private static void KeyGen(string path) => NetnsCluster.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "shoal-test", "-f", path);

    /// <summary>The processes on a host other than its sshd listener: what a cluster started there (and sshd's session processes).</summary>
    public int[] RemoteProcesses(string host) => [.. Network.PidsOf(host).Where(pid => pid != _sshd[host])];

    /// <summary>A sshd log, for failure messages.</summary>
    public string SshdLog(string host) => File.Exists(Path.Join(Directory, $"sshd_{host}.log")) ? File.ReadAllText(Path.Join(Directory, $"sshd_{host}.log")) : "";

    public async ValueTask DisposeAsync()
    {
        await Network.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a log line still being written: the temp directory is cleaned later
        }
    }
}

using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Shoal.Deploy;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.NetworkNamespaces;

/// <summary>
/// Three hosts on real Linux network namespaces: <c>shoal-t&lt;id&gt;-s</c> (the scheduler),
/// <c>-w1</c> and <c>-w2</c> (workers), each joined by a veth pair to a bridge in the root
/// namespace. Every address is in 10.231.&lt;n&gt;.0/24 on an interface created here (the bridge
/// holds .1, so the test process in the root namespace reaches every host). Disposing it kills
/// every process in the namespaces and deletes the namespaces, veths and bridge.
/// </summary>
public sealed class NetnsCluster : IAsyncDisposable
{
    private readonly List<NetnsProcess> _processes = [];
    private readonly List<string> _namespaces = [];
    private readonly List<string> _links = [];

    private NetnsCluster(string id, int subnet)
    {
        Id = id;
        Subnet = subnet;
    }

    public string Id { get; }

    public int Subnet { get; }

    public string Bridge => $"sb{Id}";

    public static IReadOnlyList<string> Hosts { get; } = ["s", "w1", "w2"];

    public string Namespace(string host) => $"shoal-t{Id}-{host}";

    /// <summary>The root-namespace end of a host's veth pair: setting it down cuts the host off.</summary>
    public string RootLink(string host) => $"sv{Id}{host}";

    public string Ip(string host) => $"10.231.{Subnet}.{2 + IndexOf(host)}";

    public string SchedulerAddress { get; private set; } = "";

    public NetnsProcess Scheduler { get; private set; } = null!;

    private static int IndexOf(string host)
    {
        for (var i = 0; i < Hosts.Count; i++) if (Hosts[i] == host) return i;
        throw new ArgumentException(host);
    }

    /// <summary>Creates the namespaces and the links between them (cleaned up if that fails half way).</summary>
    public static NetnsCluster Create()
    {
        var used = Run("ip", "-4", "route", "show");
        int subnet;
        do subnet = RandomNumberGenerator.GetInt32(1, 255);
        while (used.Contains($"10.231.{subnet}.", StringComparison.Ordinal));
        var cluster = new NetnsCluster(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)), subnet);
        try
        {
            cluster.Build();
        }
        catch
        {
            cluster.DeleteNetwork();
            throw;
        }

        return cluster;
    }

    private void Build()
    {
        _links.Add(Bridge);
        Run("ip", "link", "add", Bridge, "type", "bridge");
        Run("ip", "addr", "add", $"10.231.{Subnet}.1/24", "dev", Bridge);
        Run("ip", "link", "set", Bridge, "up");
        foreach (var host in Hosts)
        {
            var ns = Namespace(host);
            var inside = $"sp{Id}{host}";
            _namespaces.Add(ns);
            Run("ip", "netns", "add", ns);
            _links.Add(RootLink(host));
            Run("ip", "link", "add", RootLink(host), "type", "veth", "peer", "name", inside);
            Run("ip", "link", "set", inside, "netns", ns);
            Run("ip", "link", "set", RootLink(host), "master", Bridge);
            Run("ip", "link", "set", RootLink(host), "up");
            Run("ip", "-n", ns, "link", "set", "lo", "up");
            Run("ip", "-n", ns, "addr", "add", $"{Ip(host)}/24", "dev", inside);
            Run("ip", "-n", ns, "link", "set", inside, "up");
        }
    }

    /// <summary>Starts <c>shoal scheduler --insecure</c> on the scheduler host's address (<paramref name="logLevel"/>: SHOAL_LOG_LEVEL).</summary>
    public async Task StartSchedulerAsync(string? logLevel = null)
    {
        Scheduler = Start("s", ["scheduler", "--host", Ip("s"), "--port", "0", "--insecure"], logLevel is null ? null : new() { ["SHOAL_LOG_LEVEL"] = logLevel });
        SchedulerAddress = await Scheduler.WaitForSchedulerAddressAsync(E2E.Timeout);
        SchedulerAddress.ShouldContain(Ip("s"));
    }

    /// <summary>
    /// Starts <c>shoal worker</c> (with its nanny) on a worker host. No --host: the worker listens on
    /// the address that routes to the scheduler, which is that host's own (<see cref="Ip"/>).
    /// </summary>
    public NetnsProcess StartWorker(string host, params string[] extraArgs) =>
        Start(host, ["worker", SchedulerAddress, "--insecure", "--name", host, .. extraArgs]);

    public NetnsProcess Start(string host, IEnumerable<string> args, Dictionary<string, string>? environment = null)
    {
        var process = NetnsProcess.Start(Namespace(host), args, environment);
        lock (_processes) _processes.Add(process);
        return process;
    }

    public Task<Client> ConnectAsync() => Client.ConnectAsync(SchedulerAddress).WaitAsync(E2E.Timeout);

    /// <summary>The ids of every process running in a host's namespace.</summary>
    public static int[] Pids(string ns) =>
        [.. Run("ip", "netns", "pids", ns).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)];

    public int[] PidsOf(string host) => Pids(Namespace(host));

    /// <summary>SIGKILL to every process in a host's namespace.</summary>
    public void KillHost(string host)
    {
        foreach (var pid in PidsOf(host)) TryRun("kill", "-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public void SetLink(string host, bool up) => Run("ip", "link", "set", RootLink(host), up ? "up" : "down");

    public async ValueTask DisposeAsync()
    {
        NetnsProcess[] all;
        lock (_processes) all = [.. _processes];
        foreach (var process in all.Reverse())
        {
            try { await process.DisposeAsync(); } catch (Exception) { /* cleaned up below */ }
        }

        DeleteNetwork();
    }

    private void DeleteNetwork()
    {
        foreach (var ns in _namespaces)
        {
            // Last resort for anything that outlived its process tree (e.g. a nanny's spare worker).
            for (var attempt = 0; attempt < 50; attempt++)
            {
                int[] pids;
                try { pids = Pids(ns); } catch (InvalidOperationException) { break; }
                if (pids.Length == 0) break;
                foreach (var pid in pids) TryRun("kill", "-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
                foreach (var pid in pids)
                {
                    try { using var p = Process.GetProcessById(pid); p.WaitForExit(200); } catch (ArgumentException) { } catch (InvalidOperationException) { }
                }
            }

            TryRun("ip", "netns", "del", ns);
        }

        foreach (var link in _links) TryRun("ip", "link", "del", link);
    }

    /// <summary>Runs a command to completion; throws with its output if it fails.</summary>
    public static string Run(string file, params string[] args)
    {
        var (code, output) = Exec(file, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {code}: {output}");
        return output;
    }

    private static void TryRun(string file, params string[] args) => Exec(file, args);

    private static (int Code, string Output) Exec(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>A <c>shoal</c> process run as <c>ip netns exec NS dotnet Shoal.Cli.dll ...</c>, its output collected line by line.</summary>
public sealed class NetnsProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _all = [];

    private NetnsProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once it has exited.</summary>
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_all) return string.Join(Environment.NewLine, _all); }
    }

    public static NetnsProcess Start(string ns, IEnumerable<string> args, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["netns", "exec", ns, WorkerCommandLocator.DotnetHost(), IsolatedCli.Path]) info.ArgumentList.Add(arg);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // The children exit when their standard input closes, should the test process die.
        info.Environment[WorkerProcess.ParentWatchVariable] = "1";
        foreach (var (name, value) in environment ?? []) info.Environment[name] = value;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var started = new NetnsProcess(process);
        process.OutputDataReceived += (_, e) => started.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => started.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_all) _all.Add(line);
        _lines.Writer.TryWrite(line);
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cts.Token);
                if (match(line)) return line;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No matching line within {timeout.TotalSeconds} s (exited: {_process.HasExited}). Output:{Environment.NewLine}{Output}");
        }
    }

    public async Task<string> WaitForSchedulerAddressAsync(TimeSpan timeout)
    {
        const string prefix = "Scheduler at: ";
        var line = await WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), timeout);
        return line[prefix.Length..].Trim();
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
        finally
        {
            _process.Dispose();
        }
    }
}

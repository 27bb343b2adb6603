using System.Text.RegularExpressions;
using Shoal.Cli;
using Shoal.Comm;
using Shoal.Execution;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Security;

/// <summary>
/// A worker's data plane (peers and clients fetch results from it) follows the scheduler's rule:
/// off loopback only with TLS, or in clear with --insecure spelled out and warned about.
/// </summary>
[Collection(RealProcessesCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class WorkerListenerTests(TokenDirectoryFixture tokens) : IClassFixture<TokenDirectoryFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        tokens.RunCliAsync(args, stdout, stderr, cancellationToken);

    [Theory]
    [InlineData("--no-nanny")]
    [InlineData("--nthreads")] // under a nanny (the default): refused before any nanny starts a child
    public async Task Worker_off_loopback_without_tls_refuses_to_start_and_says_what_to_pass(string flag)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] extra = flag == "--nthreads" ? [flag, "1"] : [flag];
        (await RunAsync(["worker", "tcp://127.0.0.1:9", "--host", "0.0.0.0", .. extra], stdout, stderr).WaitAsync(Patience)).ShouldBe(ShoalCommand.UsageError);
        var line = stderr.ToString().Trim();
        line.ShouldNotContain('\n');
        line.ShouldStartWith("shoal worker: refusing to listen on tcp://0.0.0.0 without TLS");
        line.ShouldContain("read this worker's results");
        foreach (var what in new[] { "--tls-ca-file", "--tls-cert", "--tls-key", "--insecure", "shoal certs create", "--host 127.0.0.1" })
            line.ShouldContain(what);
        stdout.ToString().ShouldNotContain("Worker");
    }

    [Fact]
    public async Task Shoal_local_off_loopback_refuses_and_names_what_works_instead()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        (await RunAsync(["local", "--host", "0.0.0.0", "--port", "0", "--workers", "1"], stdout, stderr).WaitAsync(Patience)).ShouldBe(ShoalCommand.UsageError);
        var line = stderr.ToString().Trim();
        line.ShouldNotContain('\n');
        line.ShouldStartWith("shoal local: refusing to listen on tcp://0.0.0.0:0");
        line.ShouldContain("--host 127.0.0.1");
        line.ShouldContain("`shoal scheduler` and `shoal worker`");
        line.ShouldNotContain("--insecure"); // shoal local has no such flag
        stdout.ToString().ShouldNotContain("Scheduler at");
    }

    [Fact]
    public async Task A_token_without_tls_is_not_enough_off_loopback()
    {
        var file = Path.Join(Path.GetTempPath(), "shoal-token-" + Guid.NewGuid().ToString("N"));
        Shoal.Security.LocalCredentials.WritePrivateFile(file, SecurityOptions.TemporaryToken().TokenFor(Role.Worker)!);
        try
        {
            var stderr = new StringWriter();
            (await RunAsync(["worker", "tcp://127.0.0.1:9", "--host", "0.0.0.0", "--token-file", file, "--no-nanny"], new StringWriter(), stderr)
                .WaitAsync(Patience)).ShouldBe(ShoalCommand.UsageError);
            stderr.ToString().ShouldContain("refusing to listen on tcp://0.0.0.0 without TLS");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_library_worker_refuses_a_plaintext_data_plane_off_loopback_too()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0" });
        var error = await Should.ThrowAsync<Shoal.Security.InsecureListenerException>(() => WorkerServer.StartAsync(new WorkerServerOptions
        {
            SchedulerAddress = scheduler.Address, ListenAddress = "tcp://0.0.0.0:0", Name = "open", NThreads = 1,
        }));
        error.Message.ShouldContain("--insecure");
    }

    [Fact]
    public async Task Insecure_worker_warns_at_start_and_on_each_connection()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0" });
        var stdout = new SignalingWriter();
        using var stop = new CancellationTokenSource();
        var run = RunAsync(["worker", scheduler.Address, "--host", "0.0.0.0", "--insecure", "--no-nanny", "--name", "open-worker", "--nthreads", "1"],
            stdout, new StringWriter(), stop.Token);
        var text = await stdout.WaitForAsync(t => Regex.IsMatch(t, @"INSECURE: listening on tcp://\S+:\d+ "), Patience);
        text.ShouldContain("read this worker's results");
        // Bound to every interface (it advertises this machine's address): loopback reaches it too.
        var port = Regex.Match(text, @"INSECURE: listening on tcp://\S+:(\d+) ").Groups[1].Value;
        for (var i = 0; i < 2; i++)
        {
            var name = "probe-" + i;
            await using (await Transports.ConnectAsync($"tcp://127.0.0.1:{port}", new ConnectionOptions { Role = Role.Peer, Name = name }))
            {
                await stdout.WaitForAsync(t => t.Contains($"INSECURE: peer '{name}' connected from"), Patience);
            }
        }
        await stop.CancelAsync();
        (await run.WaitAsync(Patience)).ShouldBe(0);
    }

    [Fact]
    public async Task Tls_workers_serve_data_only_over_tls_and_move_it_between_each_other()
    {
        var dir = Path.Join(Path.GetTempPath(), "shoal-certs-" + Guid.NewGuid().ToString("N"));
        var processes = new List<ShoalProcess>();
        try
        {
            var certsError = new StringWriter();
            (await RunAsync(["certs", "create", "--out", dir, "--hosts", "localhost,127.0.0.1"], new StringWriter(), certsError)).ShouldBe(0, certsError.ToString());
            string[] Flags(string role) => ["--tls-ca-file", Path.Join(dir, "ca.pem"), "--tls-cert", Path.Join(dir, role + ".pem"), "--tls-key", Path.Join(dir, role + "-key.pem")];
            SecurityOptions Load(string role) => SecurityOptions.FromPemFiles(Path.Join(dir, "ca.pem"), Path.Join(dir, role + ".pem"), Path.Join(dir, role + "-key.pem"));

            await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = Load("scheduler") });
            scheduler.Address.ShouldStartWith("tls://");
            // Real `shoal worker` processes under their nannies (the default): the nanny hands the credentials down its pipe.
            foreach (var name in new[] { "tls-w0", "tls-w1" })
                processes.Add(ShoalProcess.Start(["worker", scheduler.Address, "--nthreads", "1", "--name", name, .. Flags("worker")]));
            var clientSecurity = Load("client");
            await using var client = await Client.ConnectAsync(scheduler.Address, new ClientOptions { Security = clientSecurity }).WaitAsync(Patience);
            await client.WaitForWorkersAsync(2).WaitAsync(Patience);
            var workers = (await client.GetClusterInfoAsync()).Workers.ToDictionary(w => w.Name, w => w.Address);
            workers.Values.ShouldAllBe(address => address.StartsWith("tls://"));

            // Made on w0, needed on w1: w1 fetches it from w0's data plane, which only speaks TLS.
            var made = client.Submit(static () => new string('x', 100_000), new SubmitOptions { Workers = ["tls-w0"] });
            var used = client.Submit(static (string s) => s.Length + 1, made, new SubmitOptions { Workers = ["tls-w1"] });
            (await used.ResultAsync().WaitAsync(Patience)).ShouldBe(100_001);
            (await E2E.WorkerHoldsAsync(clientSecurity, workers["tls-w1"], made.Key)).ShouldBeTrue();

            // The same port in clear: refused, with what to do.
            var plain = workers["tls-w0"].Replace("tls://", "tcp://");
            var refused = await Should.ThrowAsync<HandshakeRefusedException>(() =>
                Transports.ConnectAsync(plain, new ConnectionOptions { Role = Role.Peer, Name = "plain-peer" }));
            refused.Message.ShouldContain("requires TLS");

            // The worker processes the nannies started hold the key, but not in their environment or command line.
            var key = File.ReadAllText(Path.Join(dir, "worker-key.pem"));
            var keyBody = key.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1];
            var children = processes.SelectMany(p => E2E.ChildrenOf(p.Id)).ToArray();
            children.Length.ShouldBeGreaterThanOrEqualTo(2);
            foreach (var pid in children)
            {
                foreach (var file in new[] { "environ", "cmdline" })
                {
                    var text = await File.ReadAllTextAsync($"/proc/{pid}/{file}");
                    text.ShouldNotContain("PRIVATE KEY");
                    text.ShouldNotContain(keyBody);
                }
            }
        }
        finally
        {
            foreach (var process in processes) await process.DisposeAsync();
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}

using System.Text.RegularExpressions;
using Shoal.Cli;
using Shoal.Comm;
using Shoal.Execution;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Security;

namespace Shoal.Tests.Security;

/// <summary>`shoal certs create`, the TLS flags, the off-loopback refusal and the loopback token file.</summary>
[Collection(Shoal.Tests.EndToEnd.RealProcessesCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class CliSecurityTests(TokenDirectoryFixture tokens) : IClassFixture<TokenDirectoryFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly LocalCredentials _credentials = tokens.Credentials;

    private Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        tokens.RunCliAsync(args, stdout, stderr, cancellationToken);

    [Fact]
    public async Task Certs_create_writes_private_pem_files_that_run_a_cluster_over_tls()
    {
        var dir = Path.Join(Path.GetTempPath(), "shoal-certs-" + Guid.NewGuid().ToString("N"));
        try
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            (await RunAsync(["certs", "create", "--out", dir, "--hosts", "localhost,127.0.0.1", "--days", "2"], stdout, stderr)).ShouldBe(0, stderr.ToString());
            string[] expected = ["ca.pem", "ca-key.pem", "scheduler.pem", "scheduler-key.pem", "worker.pem", "worker-key.pem", "client.pem", "client-key.pem"];
            foreach (var name in expected)
                File.GetUnixFileMode(Path.Join(dir, name)).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite, name);
            File.GetUnixFileMode(dir).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            SecurityOptions Load(string role) => SecurityOptions.FromPemFiles(Path.Join(dir, "ca.pem"), Path.Join(dir, role + ".pem"), Path.Join(dir, role + "-key.pem"));
            var schedulerCredentials = Load("scheduler");
            schedulerCredentials.CertificateRoles.ShouldBe([Role.Scheduler]);
            schedulerCredentials.Certificate!.NotAfter.ShouldBeLessThan(DateTime.Now.AddDays(3));

            await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = schedulerCredentials });
            scheduler.Address.ShouldStartWith("tls://");
            await using var worker = await WorkerServer.StartAsync(new WorkerServerOptions
            {
                SchedulerAddress = scheduler.Address, ListenAddress = "tcp://127.0.0.1:0", Name = "tls-worker", NThreads = 1, Security = Load("worker"),
            });
            worker.Address.ShouldStartWith("tls://");
            await using var client = await Client.ConnectAsync(scheduler.Address, new ClientOptions { Security = Load("client") });
            var a = client.Submit(static () => 20);
            var b = client.Submit(static (int x) => x + 22, a);
            (await b).ShouldBe(42);
            (await client.GatherAsync(client.Map(static (int x) => x * 2, Enumerable.Range(0, 50)))).Sum().ShouldBe(2450);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Scheduler_off_loopback_without_tls_refuses_to_start_and_says_what_to_pass()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        (await RunAsync(["scheduler", "--host", "0.0.0.0", "--port", "0"], stdout, stderr)).ShouldBe(ShoalCommand.UsageError);
        var line = stderr.ToString().Trim();
        line.ShouldNotContain('\n');
        line.ShouldContain("--tls-ca-file");
        line.ShouldContain("--tls-cert");
        line.ShouldContain("--tls-key");
        line.ShouldContain("--insecure");
        line.ShouldContain("shoal certs create");
    }

    [Fact]
    public async Task Insecure_scheduler_warns_at_start_and_on_each_client()
    {
        var stdout = new SignalingWriter();
        using var stop = new CancellationTokenSource();
        var run = RunAsync(["scheduler", "--host", "0.0.0.0", "--port", "0", "--insecure"], stdout, new StringWriter(), stop.Token);
        var text = await stdout.WaitForAsync(t => t.Contains("Scheduler at:"), Patience);
        text.ShouldContain("INSECURE: listening on");
        var address = Regex.Match(text, @"Scheduler at: (\S+)").Groups[1].Value;
        var port = new Uri(address.Replace("tcp://", "http://")).Port;
        await using (await Transports.ConnectAsync($"tcp://127.0.0.1:{port}", new ConnectionOptions { Role = Role.Client, Name = "plain-client" }))
        {
            await stdout.WaitForAsync(t => t.Contains("client 'plain-client' connected from"), Patience);
        }
        await stop.CancelAsync();
        (await run.WaitAsync(Patience)).ShouldBe(0);
    }

    [Fact]
    public async Task Bare_loopback_scheduler_writes_a_private_token_file_that_workers_and_clients_find()
    {
        var stdout = new SignalingWriter();
        using var stop = new CancellationTokenSource();
        var run = RunAsync(["scheduler", "--port", "0"], stdout, new StringWriter(), stop.Token);
        var text = await stdout.WaitForAsync(t => t.Contains("Scheduler at:"), Patience);
        var address = Regex.Match(text, @"Scheduler at: (\S+)").Groups[1].Value;
        var file = _credentials.TokenFilePath(address);
        file.ShouldNotBeNull();
        File.Exists(file).ShouldBeTrue();
        File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var token = (await File.ReadAllTextAsync(file)).Trim();
        text.ShouldNotContain(token.Split('.')[2]);

        // Without the file's token: refused.
        await Should.ThrowAsync<Shoal.Protocol.HandshakeRefusedException>(() =>
            Transports.ConnectAsync(address, new ConnectionOptions { Role = Role.Client, Name = "intruder" }));

        // Worker and client on this machine find it by the address alone.
        await using (var worker = await WorkerServer.StartAsync(new WorkerServerOptions { SchedulerAddress = address, Name = "found-token", NThreads = 1, Credentials = _credentials }))
        await using (var client = await Client.ConnectAsync(address, new ClientOptions { Credentials = _credentials }))
        {
            (await client.Submit(static () => 42)).ShouldBe(42);
        }
        await stop.CancelAsync();
        (await run.WaitAsync(Patience)).ShouldBe(0);
        File.Exists(file).ShouldBeFalse();
    }
}

/// <summary>Credentials found by address, never passed explicitly.</summary>
[Collection(Shoal.Tests.EndToEnd.RealProcessesCollection.Name)]
public class FoundCredentialsTests(TokenDirectoryFixture tokens) : IClassFixture<TokenDirectoryFixture>
{
    private readonly LocalCredentials _credentials = tokens.Credentials;

    [Fact]
    public async Task A_token_file_left_by_a_killed_scheduler_is_ignored()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0" });
        // A scheduler killed before it could delete its token file left one for this port; its process is gone.
        using var finished = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        await finished.WaitForExitAsync();
        var token = SecurityOptions.TemporaryToken().TokenFor(Role.Scheduler)!;
        Directory.CreateDirectory(_credentials.Directory);
        LocalCredentials.WritePrivateFile(_credentials.TokenFilePath(scheduler.Address)!, $"{token}\nowner {finished.Id} 12345\n");
        _credentials.Find(scheduler.Address).ShouldBeNull();
        await using var worker = await WorkerServer.StartAsync(new WorkerServerOptions { SchedulerAddress = scheduler.Address, Name = "stale-token", NThreads = 1, Credentials = _credentials });
        await using var client = await Client.ConnectAsync(scheduler.Address, new ClientOptions { Credentials = _credentials });
        (await client.Submit(static () => 5)).ShouldBe(5);
        File.Delete(_credentials.TokenFilePath(scheduler.Address)!);
    }

    [Fact]
    public async Task A_token_file_that_names_no_owner_is_ignored_and_a_new_scheduler_sweeps_stale_ones()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0" });
        Directory.CreateDirectory(_credentials.Directory);
        var token = SecurityOptions.TemporaryToken().TokenFor(Role.Scheduler)!;
        // As an earlier Shoal wrote them: the token alone. Such a file once made every worker refuse a later
        // scheduler on the same port that expects no credentials.
        var ownerless = _credentials.TokenFilePath(scheduler.Address)!;
        LocalCredentials.WritePrivateFile(ownerless, token + "\n");
        _credentials.Find(scheduler.Address).ShouldBeNull();
        await using (var worker = await WorkerServer.StartAsync(new WorkerServerOptions { SchedulerAddress = scheduler.Address, Name = "ownerless-token", NThreads = 1, Credentials = _credentials }))
        await using (var client = await Client.ConnectAsync(scheduler.Address, new ClientOptions { Credentials = _credentials }))
            (await client.Submit(static () => 6)).ShouldBe(6);

        // A live owner's file stays; the ownerless one and a dead owner's go.
        var live = Path.Join(_credentials.Directory, "127.0.0.1-1.token");
        LocalCredentials.WritePrivateFile(live, $"{token}\nowner {Shoal.Util.ProcessIdentity.Current}\n");
        var dead = Path.Join(_credentials.Directory, "127.0.0.1-2.token");
        LocalCredentials.WritePrivateFile(dead, $"{token}\nowner 999999999 1\n");
        TokenFileOwner.DeleteStale(_credentials.Directory).ShouldBe(2);
        File.Exists(live).ShouldBeTrue();
        File.Exists(dead).ShouldBeFalse();
        File.Exists(ownerless).ShouldBeFalse();
        File.Delete(live);
    }

    [Fact]
    public void A_process_that_is_a_zombie_counts_as_gone()
    {
        // /proc/PID/stat of a live `shoal` and of the same process once it ended but was not reaped (an orphan under an
        // init that reaps nothing): a token file naming the zombie is stale. A real zombie cannot be made reliably here:
        // where SIGCHLD is ignored, the kernel reaps children at once.
        const string alive = "4242 (shoal sched) S 1 4242 4242 0 -1 4194560 5000 0 0 0 10 5 0 0 20 0 12 0 987654 300000000 20000 18446744073709551615";
        const string zombie = "4242 (shoal sched) Z 1 4242 4242 0 -1 4227076 5000 0 0 0 10 5 0 0 20 0 1 0 987654 0 0 18446744073709551615";
        Shoal.Util.ProcessIdentity.FromStat(4242, alive).ShouldBe("4242 987654");
        Shoal.Util.ProcessIdentity.FromStat(4242, zombie).ShouldBe("");
        Shoal.Util.ProcessIdentity.IsGone(Shoal.Util.ProcessIdentity.Current).ShouldBeFalse();
    }

    [Fact]
    public async Task A_client_with_a_live_schedulers_token_never_falls_back_to_no_credentials()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0" });
        // The token file names a live owner (this process), but the listener on the port wants no credentials.
        using var file = _credentials.WriteTokenFile(scheduler.Address, SecurityOptions.TemporaryToken().TokenFor(Role.Scheduler)!);
        _credentials.Find(scheduler.Address).ShouldNotBeNull();
        var refused = await Should.ThrowAsync<Shoal.Protocol.HandshakeRefusedException>(() => Client.ConnectAsync(scheduler.Address, new ClientOptions { Credentials = _credentials }));
        refused.Message.ShouldContain("expects no credentials");
        refused.Message.ShouldContain("does not fall back");
        refused.Message.ShouldContain(_credentials.TokenFilePath(scheduler.Address)!);
    }
}

/// <summary>
/// Credentials found in a temporary token directory, for one test class: passed to the CLI (its
/// context), the servers and the clients the test starts, so nothing it writes or finds is the
/// user's <c>~/.shoal/clusters</c> and no other test sees it.
/// </summary>
public sealed class TokenDirectoryFixture : IDisposable
{
    private readonly string _home = Path.Join(Path.GetTempPath(), "shoal-home-" + Guid.NewGuid().ToString("N"));

    /// <summary>Makes the credentials of a fresh temporary directory.</summary>
    public TokenDirectoryFixture() => Credentials = new LocalCredentials(Path.Join(_home, ".shoal", "clusters"));

    /// <summary>Finds and writes token files under the temporary directory.</summary>
    internal LocalCredentials Credentials { get; }

    /// <summary>Runs <c>shoal ARGS</c> in this process with these credentials.</summary>
    internal Task<int> RunCliAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        ShoalCommand.InvokeAsync(args, new CliContext(stdout, stderr, HostEntryPoints.Default) { Credentials = Credentials }, cancellationToken);

    /// <summary>Removes the directory.</summary>
    public void Dispose()
    {
        try { Directory.Delete(_home, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
    }
}

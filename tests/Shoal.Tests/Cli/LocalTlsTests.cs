using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Cli;

/// <summary><c>shoal local</c> with the TLS flags: it serves other machines (off loopback), and only clients with the cluster's certificates.</summary>
[Collection(RealProcessesCollection.Name)]
public sealed class LocalTlsTests : IDisposable
{
    private readonly string _certs = Directory.CreateTempSubdirectory("shoal-local-tls-").FullName;

    public LocalTlsTests() => Shoal.Security.ClusterCertificateFiles.Create(_certs, ["localhost", "127.0.0.1"], TimeSpan.FromDays(1));

    private string Pem(string name) => Path.Join(_certs, name + ".pem");

    public void Dispose() => Directory.Delete(_certs, recursive: true);

    [Fact]
    public async Task Shoal_local_with_tls_flags_listens_off_loopback_and_serves_only_clients_with_certificates()
    {
        await using var local = ShoalProcess.Start([
            "local", "--host", "0.0.0.0", "--port", "0", "--workers", "1", "--threads-per-worker", "1",
            "--tls-ca-file", Pem("ca"), "--tls-cert", Pem("scheduler"), "--tls-key", Pem("scheduler-key"),
            "--tls-worker-cert", Pem("worker"), "--tls-worker-key", Pem("worker-key"),
        ]);
        var address = await local.WaitForSchedulerAddressAsync(E2E.Timeout);
        await local.WaitForLineAsync(l => l.StartsWith("Workers: ", StringComparison.Ordinal), E2E.Timeout);
        var port = new Uri(address).Port;

        var security = SecurityOptions.FromPemFiles(Pem("ca"), Pem("client"), Pem("client-key"));
        await using (var client = await Client.ConnectAsync($"tls://127.0.0.1:{port}", new ClientOptions { Security = security }).WaitAsync(E2E.Timeout))
        {
            (await client.Submit(static (int a) => a * 2, 21).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);
        }

        // Without the cluster's certificates: refused (no token file was published for it either).
        var refused = await E2E.CatchAsync(() => Client.ConnectAsync($"tcp://127.0.0.1:{port}", new ClientOptions { WaitForScheduler = TimeSpan.FromSeconds(2) }).WaitAsync(E2E.Timeout));
        refused.Message.ShouldContain("the scheduler requires TLS");
    }

    [Theory]
    [InlineData("--tls-ca-file {ca} --tls-cert {scheduler} --tls-key {scheduler-key}", "TLS needs the workers' certificate too")]
    [InlineData("--tls-ca-file {ca} --tls-cert {scheduler} --tls-key {scheduler-key} --tls-worker-cert {client} --tls-worker-key {client-key}", "is not a worker certificate")]
    [InlineData("--tls-worker-cert {worker} --tls-worker-key {worker-key}", "--tls-worker-cert needs --tls-ca-file")]
    [InlineData("--tls-ca-file {ca} --tls-cert {scheduler} --tls-key {scheduler-key} --tls-worker-cert {worker}", "--tls-worker-cert and --tls-worker-key go together")]
    public async Task Incomplete_tls_flags_are_refused_with_what_is_missing(string flags, string error)
    {
        var cli = new CliHarness();
        foreach (var name in (string[])["ca", "scheduler", "scheduler-key", "worker", "worker-key", "client", "client-key"]) flags = flags.Replace($"{{{name}}}", Pem(name), StringComparison.Ordinal);

        (await cli.RunAsync("local --port 0 " + flags)).ShouldBe(1);

        cli.Stderr.ToString().ShouldContain(error);
        cli.HostCalls.ShouldBe(0);
    }
}

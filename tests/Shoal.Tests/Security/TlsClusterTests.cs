using Shoal.Cli;
using Shoal.Security;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Security;

/// <summary>
/// The core end-to-end scenarios again, over <c>tls://</c>: certificates from <c>shoal certs
/// create</c>, a <c>shoal scheduler</c> and <c>shoal worker</c> processes (under their nannies)
/// started with the TLS flags, and clients holding the client certificate.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class TlsClusterTests(TlsClusterFixture cluster) : TcpClusterScenarios(cluster), IClassFixture<TlsClusterFixture>
{
    [Fact]
    public void The_cluster_really_speaks_tls()
    {
        cluster.SchedulerAddress.ShouldStartWith("tls://");
        cluster.WorkerArguments.ShouldContain("--tls-cert");
    }
}

/// <summary>The value and lifecycle scenarios over <c>tls://</c> (see <see cref="TlsClusterTests"/>).</summary>
[Collection(RealProcessesCollection.Name)]
public sealed class TlsValueAndLifecycleTests(TlsClusterFixture cluster) : TcpValueAndLifecycleScenarios(cluster), IClassFixture<TlsClusterFixture>;

/// <summary>
/// A TLS cluster of real processes with certificates from <c>shoal certs create</c>. Clients of
/// this test process find the client certificate by the scheduler's address (registered as a
/// LocalCluster registers its own), so the scenarios connect exactly as they do over TCP.
/// </summary>
public sealed class TlsClusterFixture : TcpClusterFixture
{
    private readonly string _directory = Path.Join(Path.GetTempPath(), "shoal-e2e-certs-" + Guid.NewGuid().ToString("N"));
    private IDisposable? _registration;

    protected override IReadOnlyList<string> SchedulerArguments => Flags("scheduler");

    public override IReadOnlyList<string> WorkerArguments => Flags("worker");

    private string[] Flags(string role) =>
        ["--tls-ca-file", Path.Join(_directory, "ca.pem"), "--tls-cert", Path.Join(_directory, role + ".pem"), "--tls-key", Path.Join(_directory, role + "-key.pem")];

    protected override async Task BeforeStartAsync()
    {
        var stderr = new StringWriter();
        var exit = await ShoalCommand.InvokeAsync(["certs", "create", "--out", _directory, "--hosts", "localhost,127.0.0.1"], new StringWriter(), stderr, CancellationToken.None);
        exit.ShouldBe(0, stderr.ToString());
    }

    protected override void OnSchedulerAddress(string address)
    {
        address.ShouldStartWith("tls://");
        var client = SecurityOptions.FromPemFiles(Path.Join(_directory, "ca.pem"), Path.Join(_directory, "client.pem"), Path.Join(_directory, "client-key.pem"));
        _registration = LocalCredentials.ForThisUser.Register(address, client);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _registration?.Dispose();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}

using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Tests.Comm;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Security;

/// <summary>LocalCluster is authenticated with no set-up, and its secrets stay off its children's command lines and environments.</summary>
public class LocalClusterSecurityTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task In_process_cluster_refuses_an_unauthenticated_connection_and_serves_its_client()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1 });
        var error = await Should.ThrowAsync<HandshakeRefusedException>(() =>
            Transports.ConnectAsync(cluster.SchedulerAddress, new ConnectionOptions { Role = Role.Client, Name = "intruder" }));
        error.Message.ShouldContain("pass SecurityOptions");
        await using var client = await Client.ConnectAsync(cluster);
        (await client.Submit(static () => 6 * 7)).ShouldBe(42);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // nannies, and the worker processes each nanny starts (first and spare)
    public async Task Process_cluster_is_authenticated_without_set_up_and_keeps_its_token_off_command_lines(bool nanny)
    {
        var logs = new CapturingLoggerFactory();
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Nanny = nanny, Workers = 1, ThreadsPerWorker = 1, LoggerFactory = logs })
            .WaitAsync(Patience);
        var error = await Should.ThrowAsync<HandshakeRefusedException>(() =>
            Transports.ConnectAsync(cluster.SchedulerAddress, new ConnectionOptions { Role = Role.Worker, Name = "intruder" }));
        error.Message.ShouldContain("pass SecurityOptions");

        await using var client = await Client.ConnectAsync(cluster);
        (await client.Submit(static (int x) => x + 1, 41)).ShouldBe(42);

        var secret = SecretOf(cluster);
        var pids = cluster.WorkerProcessIds.ToList();
        // Under a nanny the worker that ran the task is the nanny's child: it holds the token too, and so does
        // the spare the nanny starts a second after its worker.
        if (nanny)
        {
            await Shoal.Tests.Resilience.Eventually.HoldsAsync(() => cluster.WorkerProcessIds.All(p => E2E.ChildrenOf(p).Count() >= 2), Patience, "each nanny starts its spare");
            pids.AddRange(cluster.WorkerProcessIds.SelectMany(E2E.ChildrenOf));
        }

        pids.Count.ShouldBeGreaterThanOrEqualTo(nanny ? 3 : 1);
        foreach (var pid in pids)
        {
            var cmdline = await File.ReadAllTextAsync($"/proc/{pid}/cmdline");
            cmdline.ShouldContain("worker");
            foreach (var piece in secret) cmdline.ShouldNotContain(piece);
            // Handed down the stdin pipe: not in the environment either (the same user could read it there).
            var environ = await File.ReadAllTextAsync($"/proc/{pid}/environ");
            environ.ShouldContain(Shoal.Security.ParentPipeCredentials.Variable + "=1");
            environ.ShouldNotContain("token:");
            foreach (var piece in secret) environ.ShouldNotContain(piece);
        }
        foreach (var (_, message) in logs.Entries)
            foreach (var piece in secret) message.ShouldNotContain(piece);
    }

    [Fact]
    public async Task Process_cluster_with_temporary_certificates_runs_over_tls()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true, Workers = 1, ThreadsPerWorker = 1, Security = SecurityOptions.Temporary(),
        }).WaitAsync(Patience);
        cluster.SchedulerAddress.ShouldStartWith("tls://");
        await using var client = await Client.ConnectAsync(cluster);
        (await client.GatherAsync(client.Map(static (int x) => x * 3, Enumerable.Range(0, 20)))).Sum().ShouldBe(570);
        foreach (var pid in cluster.WorkerProcessIds)
        {
            foreach (var file in new[] { "environ", "cmdline" })
            {
                var text = await File.ReadAllTextAsync($"/proc/{pid}/{file}");
                text.ShouldNotContain("PRIVATE KEY");
                text.ShouldNotContain("BEGIN CERTIFICATE");
            }
        }
        var plain = cluster.SchedulerAddress.Replace("tls://", "tcp://");
        var error = await Should.ThrowAsync<HandshakeRefusedException>(() =>
            Transports.ConnectAsync(plain, new ConnectionOptions { Role = Role.Client, Name = "intruder" }));
        error.Message.ShouldContain("requires TLS");
    }

    /// <summary>The key material of the cluster's worker token (what must never leak).</summary>
    private static string[] SecretOf(LocalCluster cluster)
    {
        var security = Shoal.Security.LocalCredentials.ForThisUser.Find(cluster.SchedulerAddress);
        security.ShouldNotBeNull();
        var token = security.TokenFor(Role.Worker)!;
        return [.. token.Split('.').Skip(2)];
    }
}

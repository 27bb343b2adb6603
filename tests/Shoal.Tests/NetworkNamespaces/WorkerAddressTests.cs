using Shoal.Cli;
using Shoal.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Shoal.Tests.NetworkNamespaces;

/// <summary>
/// A worker started without --host, on a host of its own: it listens on the address that routes
/// to the scheduler (its namespace's), peers and clients reach it there, and in clear it needs
/// --insecure spelled out, as any listener off loopback.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class WorkerAddressTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Step = E2E.Timeout;

    [Fact]
    public async Task A_worker_without_host_advertises_its_namespace_address_and_a_peer_fetches_from_it()
    {
        await using var cluster = NetnsCluster.Create();
        await cluster.StartSchedulerAsync();
        cluster.StartWorker("w1", "--nthreads", "1");
        cluster.StartWorker("w2", "--nthreads", "1");
        await using var client = await cluster.ConnectAsync();
        await client.WaitForWorkersAsync(2).WaitAsync(Step);

        var workers = (await client.GetClusterInfoAsync().WaitAsync(Step)).Workers.ToDictionary(w => w.Name, w => w.Address);
        foreach (var (name, address) in workers) output.WriteLine($"{name} listens on {address}");
        workers["w1"].ShouldStartWith($"tcp://{cluster.Ip("w1")}:");
        workers["w2"].ShouldStartWith($"tcp://{cluster.Ip("w2")}:");

        // Made on w1, used on w2: w2 fetches it from the address w1 advertised; the client then fetches from w2.
        var made = client.Submit(static () => Enumerable.Range(1, 100_000).ToArray(), new SubmitOptions { Workers = ["w1"] });
        var used = client.Submit(static (int[] values) => $"{WorkerContext.Name}:{values.Sum(v => (long)v)}", made, new SubmitOptions { Workers = ["w2"] });

        (await used.ResultAsync().WaitAsync(Step)).ShouldBe($"w2:{100_000L * 100_001 / 2}");
    }

    [Fact]
    public async Task A_worker_without_host_or_tls_refuses_the_address_it_chose_and_says_what_to_pass()
    {
        await using var cluster = NetnsCluster.Create();
        await cluster.StartSchedulerAsync();
        var worker = cluster.Start("w1", ["worker", cluster.SchedulerAddress, "--name", "w1", "--no-nanny"]);

        await worker.WaitForExitAsync(Step);
        output.WriteLine(worker.Output);
        worker.ExitCode.ShouldBe(ShoalCommand.UsageError);
        var said = worker.Output;
        said.ShouldContain($"refusing to listen on tcp://{cluster.Ip("w1")} (the address that reaches the scheduler: no --host was given) without TLS");
        foreach (var what in new[] { "--tls-ca-file", "--insecure" }) said.ShouldContain(what);
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Deploy;

/// <summary>
/// Builds deploy/container/Containerfile for real with podman, on a base made from Debian's
/// packages (no registry is reachable here), once for the class; removes the image afterwards.
/// </summary>
public sealed class ShoalImage : IAsyncLifetime
{
    public string Tag { get; } = $"localhost/shoal-test:{Guid.NewGuid().ToString("N")[..10]}";

    public string BuildOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Podman.EnsureBaseAsync();
        BuildOutput = await Podman.RunAsync(Path.Combine(Podman.RepositoryRoot, "deploy/container/build-image"),
            ["--runtime-base", Podman.TestBase, "--publish-on-host", "--tag", Tag], TimeSpan.FromMinutes(15));
    }

    public async Task DisposeAsync() => await Podman.TryRunAsync("podman", ["rmi", "--force", Tag], TimeSpan.FromMinutes(1));
}

/// <summary>
/// The tests that run the image share one build of it, and run alone: podman publishes the pods'
/// ports 8786/8787 on the host, where another test's in-process cluster may hold the dashboard's
/// default port.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainerImageCollection : ICollectionFixture<ShoalImage>
{
    public const string Name = "Container image";
}

[Collection(ContainerImageCollection.Name)]
public sealed class ContainerImageTests(ShoalImage image)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_image_runs_shoal_local_as_a_non_root_user_serves_a_client_on_the_host_is_healthy_and_stops_cleanly_on_SIGTERM()
    {
        var config = await Podman.RunAsync("podman", ["image", "inspect", "--format", "{{.Config.User}} {{json .Config.Entrypoint}} {{json .Config.Cmd}} {{json .Config.ExposedPorts}}", image.Tag], Patience);
        config.ShouldContain("1654:1654");
        config.ShouldContain("""["shoal"]""");
        config.ShouldContain("""["local","--workers","auto"]""");
        config.ShouldContain("8786/tcp");
        config.ShouldContain("8787/tcp");

        // Host networking, as on a single VM (gcloud's create-with-container): the client reaches the scheduler and,
        // for results, the workers. The cluster's token file lands in a directory the test shares with the container.
        var port = Ports.Free();
        var cpus = Math.Min(2, Environment.ProcessorCount);
        var name = "shoal-test-" + Guid.NewGuid().ToString("N")[..8];
        var shared = Directory.CreateTempSubdirectory("shoal-container-home-");
        await Podman.RunAsync("chown", ["1654:1654", shared.FullName], Patience);
        await using var container = ShoalProcess.StartCommand("podman",
        [
            "run", "--rm", "--name", name, "--network", "host", "--cpus", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture), "--memory", "1g",
            "-v", $"{shared.FullName}:/home/app/.shoal:Z", "-e", $"SHOAL_HEALTH_ADDRESS=tcp://127.0.0.1:{port}",
            image.Tag, "local", "--workers", "auto", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ]);
        try
        {
            var address = await container.WaitForSchedulerAddressAsync(Patience);
            address.ShouldBe($"tcp://127.0.0.1:{port}");
            var workersLine = await container.WaitForLineAsync(l => l.StartsWith("Workers: ", StringComparison.Ordinal), Patience);
            // Derived from the container's limits: a worker of 1 thread per CPU; the memory the runtime grants under the
            // 1 GiB cgroup limit (75 % of it: the rest is the scheduler's and native memory's) shared out.
            workersLine.ShouldBe($"Workers: {cpus} x 1 threads, {Shoal.Util.ByteSize.Format((3L << 28) / cpus)} each", container.Output);

            var security = SecurityOptions.FromTokenFile(Path.Combine(shared.FullName, "clusters", $"127.0.0.1-{port}.token"));
            await using (var client = await Client.ConnectAsync(address, new ClientOptions { Security = security }).WaitAsync(Patience))
            {
                await client.WaitForWorkersAsync(cpus).WaitAsync(Patience);
                // examples/MapReduce's computation: 10,000 doubling tasks, then their sum in one.
                var ys = client.Map(static (int x) => x * 2, Enumerable.Range(0, 10_000));
                var total = client.Submit(static (int[] v) => v.Sum(), ys);
                (await total.ResultAsync().WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 10_000).Sum() * 2);
            }

            // The process that serves runs as the image's user, not root.
            var pid = (await Podman.RunAsync("podman", ["inspect", "--format", "{{.State.Pid}}", name], Patience)).Trim();
            var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
            status.Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).ShouldAllBe(uid => uid == "1654");

            var health = await Podman.TryRunAsync("podman", ["healthcheck", "run", name], Patience);
            health.Code.ShouldBe(0, health.Output);

            await Podman.RunAsync("podman", ["kill", "--signal", "TERM", name], Patience);
            (await container.WaitForExitAsync(Patience)).ShouldBe(0, container.Output);
            container.Output.ShouldContain("SIGTERM, stopping");
        }
        finally
        {
            await Podman.TryRunAsync("podman", ["rm", "--force", "--time", "0", name], Patience);
            await Podman.TryRunAsync("rm", ["-rf", shared.FullName], Patience);
        }
    }
}

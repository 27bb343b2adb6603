using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Deploy;

/// <summary>The chart's scheduler and worker pods run for real with `podman kube play`, and compute.</summary>
[Collection(ContainerImageCollection.Name)]
public sealed class KubePlayTests(ShoalImage image)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_rendered_scheduler_and_worker_pods_run_with_podman_kube_play_and_a_client_on_the_host_computes_on_them()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        var release = $"shoal-{id}";
        var network = $"shoal-kube-{id}";
        var colon = image.Tag.LastIndexOf(':');
        // podman has no Services: the workers join the scheduler's pod by its name (RELEASE-scheduler-pod-0), which its DNS knows.
        var manifests = await HelmRender.TextAsync("--name", release, "--set", $"image.repository={image.Tag[..colon]}", "--set", $"image.tag={image.Tag[(colon + 1)..]}",
            "--set", "worker.replicas=2", "--set", $"worker.schedulerAddress=tcp://{release}-scheduler-pod-0:8786");
        var file = Path.Combine(Path.GetTempPath(), $"{release}.yaml");
        await File.WriteAllTextAsync(file, manifests);
        await Podman.RunAsync("podman", ["network", "create", network], Patience);
        try
        {
            await Podman.RunAsync("podman", ["kube", "play", "--network", network, file], Patience);
            await using var logs = ShoalProcess.StartCommand("podman", ["logs", "-f", $"{release}-scheduler-pod-0-scheduler"]);
            var address = await logs.WaitForSchedulerAddressAsync(Patience);

            // Insecure by the chart's default (no TLS Secret given): the client needs no credentials, as in the pod network.
            await using var client = await Client.ConnectAsync(address).WaitAsync(Patience);
            await client.WaitForWorkersAsync(2).WaitAsync(Patience);
            // Each worker is named after its pod.
            (await client.GetClusterInfoAsync()).Workers.Select(w => w.Name).Order().ShouldBe([$"{release}-worker-pod-0", $"{release}-worker-pod-1"]);
            var ys = client.Map(static (int x) => x * 2, Enumerable.Range(0, 1000));
            var total = client.Submit(static (int[] v) => v.Sum(), ys);
            (await total.ResultAsync().WaitAsync(Patience)).ShouldBe(999_000);
        }
        finally
        {
            await Podman.TryRunAsync("podman", ["kube", "down", file], Patience);
            await Podman.TryRunAsync("podman", ["network", "rm", "--force", network], Patience);
            File.Delete(file);
        }
    }
}

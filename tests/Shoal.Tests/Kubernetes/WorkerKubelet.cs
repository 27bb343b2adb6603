using Shoal.Deploy;
using Shoal.Tests.Kubernetes.Fake;

namespace Shoal.Tests.Kubernetes;

/// <summary>
/// The fake cluster's kubelet for tests with a real scheduler: each pod becomes a real in-process
/// worker named as the pod names it (SHOAL_WORKER_NAME from metadata.name, as the chart's
/// workers), joining <paramref name="schedulerAddress"/>; a deleted pod's worker is stopped.
/// </summary>
internal sealed class WorkerKubelet(string schedulerAddress, SecurityOptions workerSecurity) : IFakeKubelet, IAsyncDisposable
{
    private readonly InProcessWorkerLauncher _launcher = new();

    /// <summary>Names of the workers started so far, in order.</summary>
    public List<string> Started { get; } = [];

    public async Task<FakePodOutcome> StartAsync(FakePod pod, CancellationToken cancellationToken)
    {
        var name = pod.Env.TryGetValue("SHOAL_WORKER_NAME", out var n) ? n : pod.Name;
        await _launcher.StartAsync(new WorkerLaunch(name, schedulerAddress, 1, 0, workerSecurity), cancellationToken);
        lock (Started) Started.Add(name);
        pod.Log($"worker {name} joined {schedulerAddress}");
        return FakePodOutcome.Running;
    }

    public Task StopAsync(FakePod pod) => _launcher.StopAsync(pod.Env.TryGetValue("SHOAL_WORKER_NAME", out var n) ? n : pod.Name);

    public ValueTask DisposeAsync() => _launcher.DisposeAsync();
}

using System.Globalization;
using Shoal.Deploy;
using Shoal.Tests.Kubernetes.Fake;

namespace Shoal.Tests.Kubernetes;

/// <summary>
/// The fake cluster's kubelet for tests with a real scheduler: each pod becomes a real in-process
/// worker named as the pod says (SHOAL_WORKER_NAME), joining the scheduler; a deleted pod's worker
/// is stopped. Given no scheduler and credentials, it reads them from the pod as the container
/// would: the address and thread count from its args (<c>worker ADDRESS --nthreads N</c>), the TLS
/// material from the Secret its volume mounts at the path its <c>--tls-*</c> flags name.
/// </summary>
internal sealed class WorkerKubelet(string? schedulerAddress = null, SecurityOptions? workerSecurity = null) : IFakeKubelet, IAsyncDisposable
{
    private readonly InProcessWorkerLauncher _launcher = new();

    public async Task<FakePodOutcome> StartAsync(FakePod pod, CancellationToken cancellationToken)
    {
        var name = pod.Env.TryGetValue("SHOAL_WORKER_NAME", out var n) ? n : pod.Name;
        var address = schedulerAddress ?? (pod.Args is ["worker", var a, ..] ? a : throw new InvalidOperationException($"pod {pod.Name}: args do not start with 'worker ADDRESS'"));
        var threads = pod.Flag("--nthreads") is { } t ? int.Parse(t, CultureInfo.InvariantCulture) : 1;
        var security = workerSecurity ?? FromMountedSecret(pod);
        await _launcher.StartAsync(new WorkerLaunch(name, address, threads, 0, security), cancellationToken);
        pod.Log($"worker {name} joined {address}");
        return FakePodOutcome.Running;
    }

    public Task StopAsync(FakePod pod) => _launcher.StopAsync(pod.Env.TryGetValue("SHOAL_WORKER_NAME", out var n) ? n : pod.Name);

    public ValueTask DisposeAsync() => _launcher.DisposeAsync();

    private static SecurityOptions FromMountedSecret(FakePod pod)
    {
        string File(string flag) => pod.ReadMountedFile(pod.Flag(flag) ?? throw new InvalidOperationException($"pod {pod.Name}: no {flag}"));
        return SecurityOptions.FromPem(File("--tls-ca-file"), File("--tls-cert"), File("--tls-key"));
    }
}

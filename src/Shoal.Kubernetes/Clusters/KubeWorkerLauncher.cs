using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Shoal.Deploy;
using Shoal.Protocol.Messages;

namespace Shoal.Kubernetes;

/// <summary>
/// Workers as pods made from a pod template: one pod per worker, named as the worker, owned by
/// the cluster's anchor object (so that deleting it removes them all), with the worker's TLS
/// material mounted from the cluster's Secret. The template's first container gives the image,
/// resources and any extra worker flags (its args); the launcher supplies the command line's start
/// (<c>worker ADDRESS --nthreads N --death-timeout 60s</c> and the TLS flags) and
/// <c>SHOAL_WORKER_NAME</c>. <c>restartPolicy: Never</c>: a worker whose scheduler went away ends, and
/// its pod with it.
/// </summary>
internal sealed class KubeWorkerLauncher(IKubernetes kubernetes, string @namespace, string cluster, V1Pod template, V1OwnerReference owner) : IWorkerLauncher
{
    internal const string TlsMountPath = "/etc/shoal/tls";
    private readonly ConcurrentDictionary<string, WorkerLaunchStatus> _status = new();
    private readonly SemaphoreSlim _secretOnce = new(1, 1);
    private bool _secretMade;

    public bool InProcess => false;

    /// <summary>Told each worker's name as its start begins (the cluster's <see cref="StartupClock"/>).</summary>
    public Action<string>? OnRequested { get; init; }

    /// <summary>Told each worker's name when its start failed or it was stopped (it will not register).</summary>
    public Action<string>? OnGone { get; init; }

    /// <summary>The Secret holding the workers' CA, certificate and key.</summary>
    public string SecretName => $"{cluster}-tls";

    public async Task StartAsync(WorkerLaunch worker, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _status[worker.Name] = WorkerLaunchStatus.Starting;
        OnRequested?.Invoke(worker.Name);
        try
        {
            await EnsureSecretAsync(worker.Security, cancellationToken).ConfigureAwait(false);
            await kubernetes.CoreV1.CreateNamespacedPodAsync(PodFor(worker), @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            _status[worker.Name] = WorkerLaunchStatus.Running;
        }
        catch
        {
            _status[worker.Name] = WorkerLaunchStatus.Failed;
            OnGone?.Invoke(worker.Name);
            throw;
        }
    }

    public async Task StopAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            await kubernetes.CoreV1.DeleteNamespacedPodAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (KubeRetry.IsNotFound(e))
        {
            // already gone
        }

        _status[name] = WorkerLaunchStatus.Stopped;
        OnGone?.Invoke(name);
    }

    public WorkerLaunchStatus GetStatus(string name) => _status.GetValueOrDefault(name, WorkerLaunchStatus.Unknown);

    public async Task<IReadOnlyList<string>> GetLogsAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var stream = await kubernetes.CoreV1.ReadNamespacedPodLogAsync(name, @namespace, tailLines: 1000, cancellationToken: cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            var text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (KubeRetry.IsNotFound(e))
        {
            return [];
        }
    }

    public ValueTask DisposeAsync()
    {
        _secretOnce.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The worker's pod: the template, named, labelled, owned, with Shoal's command line, name and credentials.</summary>
    internal V1Pod PodFor(WorkerLaunch worker)
    {
        var pod = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(template));
        pod.ApiVersion = "v1";
        pod.Kind = "Pod";
        pod.Metadata ??= new V1ObjectMeta();
        pod.Metadata.Name = worker.Name;
        pod.Metadata.GenerateName = null;
        pod.Metadata.NamespaceProperty = null;
        pod.Metadata.Labels = new Dictionary<string, string>(pod.Metadata.Labels ?? new Dictionary<string, string>());
        foreach (var (key, value) in KubeLabels.For(cluster, "worker")) pod.Metadata.Labels[key] = value;
        pod.Metadata.OwnerReferences = [owner];
        pod.Spec.RestartPolicy = "Never";
        var container = pod.Spec.Containers[0];
        List<string> args = ["worker", worker.SchedulerAddress, "--nthreads", worker.Threads.ToString(CultureInfo.InvariantCulture), "--death-timeout", "60s"];
        if (worker.MemoryLimit > 0) args.AddRange(["--memory-limit", worker.MemoryLimit.ToString(CultureInfo.InvariantCulture)]);
        if (worker.Security.UsesTls)
            args.AddRange(["--tls-ca-file", $"{TlsMountPath}/ca.pem", "--tls-cert", $"{TlsMountPath}/worker.pem", "--tls-key", $"{TlsMountPath}/worker-key.pem"]);
        // The template's own args are extra worker flags (as a Dask worker-spec.yaml's are).
        args.AddRange((container.Args ?? []).Where(a => a != "worker"));
        container.Args = args;
        container.Env = [new V1EnvVar { Name = "SHOAL_WORKER_NAME", Value = worker.Name }, .. (container.Env ?? []).Where(e => e.Name != "SHOAL_WORKER_NAME")];
        if (worker.Security.UsesTls)
        {
            container.VolumeMounts = [.. container.VolumeMounts ?? [], new V1VolumeMount { Name = "shoal-tls", MountPath = TlsMountPath, ReadOnlyProperty = true }];
            // Secret files are root's: 0440 is readable by a non-root container user only through the pod's fsGroup;
            // without one, 0444 (the container is this worker's alone).
            int mode = pod.Spec.SecurityContext?.FsGroup is null ? 292 /* 0444 */ : 288 /* 0440 */;
            pod.Spec.Volumes = [.. pod.Spec.Volumes ?? [], new V1Volume { Name = "shoal-tls", Secret = new V1SecretVolumeSource { SecretName = SecretName, DefaultMode = mode } }];
        }

        return pod;
    }

    private async Task EnsureSecretAsync(SecurityOptions security, CancellationToken cancellationToken)
    {
        if (!security.UsesTls) return;
        await _secretOnce.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_secretMade) return;
            var certificate = security.CertificateFor(Role.Worker)!;
            using var key = certificate.GetECDsaPrivateKey()!;
            var secret = new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = SecretName, Labels = KubeLabels.For(cluster, "credentials"), OwnerReferences = [owner] },
                Type = "Opaque",
                Data = new Dictionary<string, byte[]>
                {
                    ["ca.pem"] = System.Text.Encoding.ASCII.GetBytes(security.CaCertificate!.ExportCertificatePem()),
                    ["worker.pem"] = System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()),
                    ["worker-key.pem"] = System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()),
                },
            };
            await kubernetes.CoreV1.CreateNamespacedSecretAsync(secret, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            _secretMade = true;
        }
        finally
        {
            _secretOnce.Release();
        }
    }
}

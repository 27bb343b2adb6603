using System.Net;
using k8s;
using k8s.Models;
using Shoal.Deploy;

namespace Shoal.Kubernetes;

/// <summary>
/// An ephemeral Shoal cluster on Kubernetes, made from client code (as dask-kubernetes'
/// <c>KubeCluster.from_yaml</c>): the scheduler runs in this process; workers are pods made from a
/// pod template, one per worker and named as it, that dial the scheduler with TLS material the
/// cluster made for itself and keeps in a Secret. Every object carries the label
/// <c>shoal.dev/cluster=NAME</c> and an owner reference to the cluster's anchor ConfigMap (NAME),
/// so deleting the anchor removes them all; <see cref="DisposeAsync"/> does, as does a start that
/// fails half-way. Scaling is <see cref="SpecCluster"/>'s: up at once, down by retirement only.
/// RBAC in its namespace: pods create/delete/get/list, pods/log get, secrets and configmaps
/// create/delete/deletecollection (deploy/kubecluster/role.yaml).
/// </summary>
public sealed class KubeCluster : ICluster
{
    private readonly SpecCluster _spec;
    private readonly IKubernetes _kubernetes;
    private readonly bool _ownsClient;
    private readonly StartupClock _clock;
    private int _disposed;

    private KubeCluster(SpecCluster spec, StartupClock clock, IKubernetes kubernetes, bool ownsClient, string name, string @namespace)
    {
        _spec = spec;
        _clock = clock;
        _kubernetes = kubernetes;
        _ownsClient = ownsClient;
        Name = name;
        Namespace = @namespace;
    }

    /// <summary>The cluster's name (every object's prefix and its <c>shoal.dev/cluster</c> label).</summary>
    public string Name { get; }

    /// <summary>The namespace of its objects.</summary>
    public string Namespace { get; }

    /// <inheritdoc />
    public string SchedulerAddress => _spec.SchedulerAddress;

    /// <inheritdoc />
    public string? DashboardLink => null;

    /// <summary>The workers launched and not stopped (their pods' names), oldest first.</summary>
    public IReadOnlyList<string> WorkerNames => _spec.WorkerNames;

    /// <summary>Each worker's time from requested (its pod asked for) to registered with the scheduler, by name (measured to about 20 ms).</summary>
    public IReadOnlyDictionary<string, TimeSpan> StartupTimes => _clock.Times;

    /// <summary>Every change of size so far.</summary>
    public IReadOnlyList<ScaleEvent> ScaleEvents => _spec.ScaleEvents;

    /// <summary>Starts a cluster whose workers are made from the pod template in a YAML file (a Pod manifest).</summary>
    /// <param name="path">The worker pod template.</param>
    /// <param name="options">Name, namespace, size; null: the defaults.</param>
    /// <param name="cancellationToken">Stops the start (what was made is removed).</param>
    public static async Task<KubeCluster> FromYamlAsync(string path, KubeClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        V1Pod template;
        try
        {
            template = await KubernetesYaml.LoadFromFileAsync<V1Pod>(path, strict: true).ConfigureAwait(false);
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArgumentException($"{path} is not a readable Pod manifest: {e.Message}", nameof(path), e);
        }

        return await StartAsync(template, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a cluster whose workers are made from <paramref name="workerTemplate"/>.</summary>
    /// <param name="workerTemplate">A pod whose first container runs the Shoal image.</param>
    /// <param name="options">Name, namespace, size; null: the defaults.</param>
    /// <param name="cancellationToken">Stops the start (what was made is removed).</param>
    public static async Task<KubeCluster> StartAsync(V1Pod workerTemplate, KubeClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workerTemplate);
        options ??= new KubeClusterOptions();
        if (workerTemplate.Spec?.Containers is not { Count: > 0 } containers || string.IsNullOrEmpty(containers[0].Image))
            throw new ArgumentException("the worker pod template needs a container with an image (the Shoal image)", nameof(workerTemplate));
        var name = options.Name ?? $"shoal-{Guid.NewGuid().ToString("N")[..8]}";
        if (name.Length > 40 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') || !char.IsAsciiLetter(name[0]) || name[^1] == '-')
            throw new ArgumentException($"cluster name '{name}': lowercase letters, digits and '-', starting with a letter, at most 40 characters (it prefixes pod names)", nameof(options));
        KubernetesClientConfiguration? config = options.Kubernetes is null ? KubeConnection.Load(options.Kubeconfig) : null;
        var kubernetes = options.Kubernetes ?? new k8s.Kubernetes(config!);
        var ns = options.Namespace ?? config?.Namespace ?? "default";
        var host = options.SchedulerHost ?? DefaultSchedulerHost();
        var clock = new StartupClock();
        SpecCluster? spec = null;
        try
        {
            var anchor = await kubernetes.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name, Labels = KubeLabels.For(name, "cluster"),
                    // Owned by the client's pod, if it runs in one: its deletion takes the whole cluster, whatever became of this process.
                    OwnerReferences = options.OwnerPod is { } pod ? [new V1OwnerReference { ApiVersion = "v1", Kind = "Pod", Name = pod.Name, Uid = pod.Uid }] : null,
                },
                Data = new Dictionary<string, string> { ["scheduler-host"] = host },
            }, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            var owner = new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = name, Uid = anchor.Metadata.Uid };
            var launcher = new KubeWorkerLauncher(kubernetes, ns, name, workerTemplate, owner) { OnRequested = clock.Requested, OnGone = clock.Forget };
            spec = await SpecCluster.StartAsync(new SpecClusterOptions
            {
                Launcher = launcher,
                ThreadsPerWorker = options.ThreadsPerWorker,
                Security = SecurityOptions.Temporary(hosts: [host, "localhost"]),
                Host = host,
                NamePrefix = $"{name}-worker-",
                StartTimeout = options.StartTimeout,
                LoggerFactory = options.LoggerFactory,
            }, cancellationToken).ConfigureAwait(false);
            clock.Watch(spec.Scheduler);
            if (options.Workers > 0) await spec.ScaleAsync(options.Workers, cancellationToken).ConfigureAwait(false);
            return new KubeCluster(spec, clock, kubernetes, options.Kubernetes is null, name, ns);
        }
        catch
        {
            if (spec is not null) await spec.DisposeAsync().ConfigureAwait(false);
            await clock.DisposeAsync().ConfigureAwait(false);
            await RemoveAllAsync(kubernetes, ns, name).ConfigureAwait(false);
            if (options.Kubernetes is null) kubernetes.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public Task ScaleAsync(int workers, CancellationToken cancellationToken = default) => _spec.ScaleAsync(workers, cancellationToken);

    /// <summary>Sizes the cluster from the scheduler's adaptive target between bounds (see <see cref="SpecCluster.AdaptAsync(AdaptOptions, CancellationToken)"/>).</summary>
    /// <param name="options">Bounds and pace.</param>
    /// <param name="cancellationToken">Stops waiting for the first reading.</param>
    public Task AdaptAsync(AdaptOptions options, CancellationToken cancellationToken = default) => _spec.AdaptAsync(options, cancellationToken);

    /// <summary>Each worker pod's log (its last 1000 lines).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> GetLogsAsync(CancellationToken cancellationToken = default) => _spec.GetLogsAsync(cancellationToken);

    /// <summary>Stops the workers (their pods deleted), the scheduler, and removes every object the cluster made.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await _clock.DisposeAsync().ConfigureAwait(false);
            await _spec.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await RemoveAllAsync(_kubernetes, Namespace, Name).ConfigureAwait(false);
            if (_ownsClient) _kubernetes.Dispose();
        }
    }

    /// <summary>Deletes the anchor (the garbage collector then takes what it owns) and, not to wait for that, every labelled pod and Secret.</summary>
    private static async Task RemoveAllAsync(IKubernetes kubernetes, string ns, string name)
    {
        var selector = KubeLabels.Selector(name);
        await Task.WhenAll(
            Quietly(() => kubernetes.CoreV1.DeleteCollectionNamespacedPodAsync(ns, labelSelector: selector, gracePeriodSeconds: 0)),
            Quietly(() => kubernetes.CoreV1.DeleteCollectionNamespacedSecretAsync(ns, labelSelector: selector)),
            Quietly(() => kubernetes.CoreV1.DeleteCollectionNamespacedConfigMapAsync(ns, labelSelector: selector, propagationPolicy: "Background"))).ConfigureAwait(false);
    }

    private static async Task Quietly(Func<Task> delete)
    {
        try
        {
            await delete().ConfigureAwait(false);
        }
        catch (Exception e) when (KubeRetry.IsNotFound(e))
        {
            // nothing to remove
        }
    }

    private static string DefaultSchedulerHost()
    {
        if (Environment.GetEnvironmentVariable("POD_IP") is { Length: > 0 } podIp) return podIp;
        if (!KubernetesClientConfiguration.IsInCluster()) return "127.0.0.1";
        return Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString() ?? "127.0.0.1";
    }
}

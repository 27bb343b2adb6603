using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Protocol.Messages;

namespace Shoal.Kubernetes.Operator;

/// <summary>
/// <c>shoal operator</c>: level-based reconcile loops (as kubernetes' sample-controller and the Dask
/// operator) for ShoalCluster, ShoalWorkerGroup, ShoalJob and ShoalAutoscaler. Watches (one per
/// custom resource, and one of the pods it made) only say which object to look at; each reconcile
/// reads the object and what it owns afresh and makes the difference, so a lost watch, a missed
/// event or a restarted operator cost nothing but a re-list. A reconcile that fails comes back after
/// a growing back-off; everything is reconciled again every <see cref="ShoalOperatorOptions.ResyncInterval"/>.
/// </summary>
internal sealed partial class ShoalOperator
{
    private readonly IKubernetes _kubernetes;
    private readonly ShoalOperatorOptions _options;
    private readonly ILogger _logger;
    private readonly ReconcileQueue _queue = new();
    private readonly ConcurrentDictionary<ReconcileKey, Backoff> _failures = new();
    private readonly ConcurrentDictionary<string, (string Uid, SecurityOptions Credentials, HttpClient Http)> _credentials = new();
    private int _reconciles;

    public ShoalOperator(IKubernetes kubernetes, ShoalOperatorOptions options)
    {
        _kubernetes = kubernetes;
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<ShoalOperator>() ?? NullLogger<ShoalOperator>.Instance;
        Clusters = new(kubernetes, ShoalResources.Cluster);
        Groups = new(kubernetes, ShoalResources.WorkerGroup);
        Jobs = new(kubernetes, ShoalResources.Job);
        Autoscalers = new(kubernetes, ShoalResources.Autoscaler);
    }

    internal CustomObjectClient<ShoalCluster> Clusters { get; }

    internal CustomObjectClient<ShoalWorkerGroup> Groups { get; }

    internal CustomObjectClient<ShoalJob> Jobs { get; }

    internal CustomObjectClient<ShoalAutoscaler> Autoscalers { get; }

    /// <summary>Reconciles done so far (tests wait on progress with it).</summary>
    public int Reconciles => Volatile.Read(ref _reconciles);

    /// <summary>True when no reconcile is queued, running or due (tests wait for it before cutting the watches).</summary>
    internal bool Idle => _queue.Idle;

    /// <summary>The watch loops, once running (tests read their list counts).</summary>
    internal IReadOnlyList<Func<int>> ListCounts { get; private set; } = [];

    /// <summary>Watches and reconciles until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var ns = _options.Namespace;
        var loops = new List<(Func<CancellationToken, Task> Run, Func<int> Lists)>
        {
            Loop(Clusters, ns, c => Enqueue(ShoalResources.Cluster, c)),
            Loop(Groups, ns, g => Enqueue(ShoalResources.WorkerGroup, g)),
            Loop(Jobs, ns, j => Enqueue(ShoalResources.Job, j)),
            Loop(Autoscalers, ns, a => Enqueue(ShoalResources.Autoscaler, a)),
            PodLoop(ns),
        };
        ListCounts = [.. loops.Select(l => l.Lists)];
        LogStarted(_logger, ns ?? "all namespaces");
        var tasks = loops.Select(l => Task.Run(() => l.Run(cancellationToken), CancellationToken.None)).ToList();
        tasks.AddRange(Enumerable.Range(0, _options.Concurrency).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None)));
        tasks.Add(Task.Run(() => ResyncAsync(cancellationToken), CancellationToken.None));
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            foreach (var key in _credentials.Keys) Forget(key);
        }
    }

    private (Func<CancellationToken, Task>, Func<int>) Loop<T>(CustomObjectClient<T> client, string? ns, Action<T> changed) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var loop = new KubeWatchLoop<T>(client.Kind.Plural, ct => client.ListAsync(ns, ct), (v, e, ct) => client.WatchAsync(ns, v, e, ct), changed, () => { }, _logger);
        return (loop.RunAsync, () => loop.Lists);
    }

    private (Func<CancellationToken, Task>, Func<int>) PodLoop(string? ns)
    {
        var loop = new KubeWatchLoop<V1Pod>("pods", async ct =>
            {
                var list = ns is null
                    ? await _kubernetes.CoreV1.ListPodForAllNamespacesAsync(labelSelector: OperatorLabels.PodSelector, cancellationToken: ct).ConfigureAwait(false)
                    : await _kubernetes.CoreV1.ListNamespacedPodAsync(ns, labelSelector: OperatorLabels.PodSelector, cancellationToken: ct).ConfigureAwait(false);
                return (list.Items, list.Metadata?.ResourceVersion);
            },
            (v, onError, ct) => ns is null
                ? _kubernetes.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, labelSelector: OperatorLabels.PodSelector, resourceVersion: v, timeoutSeconds: 300, onError: onError, cancellationToken: ct)
                : _kubernetes.CoreV1.WatchListNamespacedPodAsync(ns, allowWatchBookmarks: true, labelSelector: OperatorLabels.PodSelector, resourceVersion: v, timeoutSeconds: 300, onError: onError, cancellationToken: ct),
            PodChanged, () => { }, _logger);
        return (loop.RunAsync, () => loop.Lists);
    }

    /// <summary>A pod's change wakes what owns it: its worker group, its cluster (the scheduler), its job (the runner).</summary>
    private void PodChanged(V1Pod pod)
    {
        var labels = pod.Metadata.Labels ?? new Dictionary<string, string>();
        var ns = pod.Metadata.NamespaceProperty;
        if (labels.TryGetValue(OperatorLabels.Group, out var group)) _queue.Add(new(ShoalResources.WorkerGroup, ns, group));
        if (labels.TryGetValue(OperatorLabels.Job, out var job)) _queue.Add(new(ShoalResources.Job, ns, job));
        if (labels.TryGetValue(KubeLabels.Component, out var c) && c == "scheduler" && labels.TryGetValue(KubeLabels.Cluster, out var cluster))
            _queue.Add(new(ShoalResources.Cluster, ns, cluster));
    }

    private void Enqueue<T>(ShoalKind kind, T o) where T : IKubernetesObject<V1ObjectMeta>
    {
        _queue.Add(new(kind, o.Metadata.NamespaceProperty, o.Metadata.Name));
        // A job's cluster wakes its job; a cluster wakes nothing else (its groups poll until it runs).
        if (o.Metadata.Labels?.TryGetValue(OperatorLabels.Job, out var job) == true && kind == ShoalResources.Cluster)
            _queue.Add(new(ShoalResources.Job, o.Metadata.NamespaceProperty, job));
    }

    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ResyncInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                foreach (var c in (await Clusters.ListAsync(_options.Namespace, cancellationToken).ConfigureAwait(false)).Items) Enqueue(ShoalResources.Cluster, c);
                foreach (var g in (await Groups.ListAsync(_options.Namespace, cancellationToken).ConfigureAwait(false)).Items) Enqueue(ShoalResources.WorkerGroup, g);
                foreach (var j in (await Jobs.ListAsync(_options.Namespace, cancellationToken).ConfigureAwait(false)).Items) Enqueue(ShoalResources.Job, j);
                foreach (var a in (await Autoscalers.ListAsync(_options.Namespace, cancellationToken).ConfigureAwait(false)).Items) Enqueue(ShoalResources.Autoscaler, a);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogResyncFailed(_logger, e);
            }
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var key = await _queue.TakeAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var again = await ReconcileAsync(key, cancellationToken).ConfigureAwait(false);
                _failures.TryRemove(key, out _);
                if (again is { } delay) _queue.AddAfter(key, delay, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var wait = _failures.GetOrAdd(key, _ => new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60))).Next();
                LogReconcileFailed(_logger, key.ToString(), wait.TotalMilliseconds, e);
                _queue.AddAfter(key, wait, cancellationToken);
            }
            finally
            {
                Interlocked.Increment(ref _reconciles);
                _queue.Done(key);
            }
        }
    }

    /// <summary>One reconcile; answers when to look again without an event (null: only on events and resyncs).</summary>
    internal Task<TimeSpan?> ReconcileAsync(ReconcileKey key, CancellationToken cancellationToken)
    {
        if (key.Kind == ShoalResources.Cluster) return ReconcileClusterAsync(key.Namespace, key.Name, cancellationToken);
        if (key.Kind == ShoalResources.WorkerGroup) return ReconcileGroupAsync(key.Namespace, key.Name, cancellationToken);
        if (key.Kind == ShoalResources.Job) return ReconcileJobAsync(key.Namespace, key.Name, cancellationToken);
        return ReconcileAutoscalerAsync(key.Namespace, key.Name, cancellationToken);
    }

    /// <summary>The scheduler HTTP API of a cluster, with the operator's credentials from its Secret (read once per cluster incarnation).</summary>
    private async Task<SchedulerHttpApi> SchedulerOfAsync(ShoalCluster cluster, CancellationToken cancellationToken)
    {
        var (ns, name) = (cluster.Metadata.NamespaceProperty, cluster.Metadata.Name);
        if (!_credentials.TryGetValue(cluster.Key, out var known) || known.Uid != cluster.Metadata.Uid)
        {
            var secret = await _kubernetes.CoreV1.ReadNamespacedSecretAsync(ClusterCredentials.SecretName(name), ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            var credentials = ClusterCredentials.Read(secret, Role.Client);
            known = (cluster.Metadata.Uid, credentials, SchedulerHttpApi.ClientFor(credentials));
            if (_credentials.TryGetValue(cluster.Key, out var old)) old.Http.Dispose();
            _credentials[cluster.Key] = known;
        }

        return new SchedulerHttpApi(known.Http, _options.SchedulerHttpUri(name, ns), known.Credentials);
    }

    private void Forget(string key)
    {
        if (_credentials.TryRemove(key, out var gone)) gone.Http.Dispose();
    }

    /// <summary>Creates an object unless it exists (409 AlreadyExists: another reconcile, or an earlier life of the operator, made it).</summary>
    private static async Task CreateIfMissingAsync(Func<Task> create)
    {
        try
        {
            await create().ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // already there
        }
    }

    private static async Task DeleteIfPresentAsync(Func<Task> delete)
    {
        try
        {
            await delete().ConfigureAwait(false);
        }
        catch (Exception e) when (KubeRetry.IsNotFound(e))
        {
            // already gone
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shoal operator watching {Namespace}")]
    private static partial void LogStarted(ILogger logger, string @namespace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling {Key} failed; again in {DelayMs:0} ms")]
    private static partial void LogReconcileFailed(ILogger logger, string key, double delayMs, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resync failed; the watches still run")]
    private static partial void LogResyncFailed(ILogger logger, Exception exception);
}

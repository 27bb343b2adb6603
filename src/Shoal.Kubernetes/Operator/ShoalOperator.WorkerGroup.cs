using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Shoal.Kubernetes.Operator;

internal sealed partial class ShoalOperator
{
    /// <summary>
    /// A ShoalWorkerGroup: its pods against spec.replicas (<see cref="WorkerGroupPlan"/>). Up: pods
    /// are created. Down: pods whose worker never registered are deleted, then the scheduler retires
    /// the workers the plan names (POST /api/v1/retire_workers) and exactly the pods of the workers it
    /// retired are deleted. Looked at again every poll interval until every pod's worker registered.
    /// </summary>
    private async Task<TimeSpan?> ReconcileGroupAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var group = await Groups.GetAsync(ns, name, cancellationToken).ConfigureAwait(false);
        if (group is null || group.Metadata.DeletionTimestamp is not null) return null;
        var status = group.Status ??= new ShoalWorkerGroupStatus();
        long generation = group.Metadata.Generation ?? 0;
        status.Selector = OperatorLabels.WorkerSelector(name);
        status.ObservedGeneration = generation;
        if (ClusterObjects.Problem(group.Spec, "spec") is { } problem)
        {
            status.Conditions = OperatorConditions.Set(status.Conditions, "Ready", false, "InvalidSpec", problem, generation);
            await Groups.PatchStatusAsync(group, cancellationToken).ConfigureAwait(false);
            LogInvalid(_logger, "ShoalWorkerGroup", group.Key, problem);
            return null;
        }

        var cluster = await Clusters.GetAsync(ns, group.Spec.Cluster, cancellationToken).ConfigureAwait(false);
        if (cluster?.Status?.Phase != "Running")
        {
            var why = cluster is null ? $"no ShoalCluster '{group.Spec.Cluster}' in {ns}" : $"ShoalCluster '{group.Spec.Cluster}' is {cluster.Status?.Phase ?? "new"}";
            status.Conditions = OperatorConditions.Set(status.Conditions, "Ready", false, cluster is null ? "ClusterMissing" : "ClusterNotRunning", why, generation);
            await Groups.PatchStatusAsync(group, cancellationToken).ConfigureAwait(false);
            return cluster is null ? _options.ResyncInterval : _options.PollInterval;
        }

        var api = await SchedulerOfAsync(cluster, cancellationToken).ConfigureAwait(false);
        var pods = (await _kubernetes.CoreV1.ListNamespacedPodAsync(ns, labelSelector: OperatorLabels.WorkerSelector(name), cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        var workers = await api.GetWorkersAsync(cancellationToken).ConfigureAwait(false);
        var plan = WorkerGroupPlan.Decide(group.Spec.Replicas, [.. pods.Select(AsGroupPod)], workers);

        foreach (var pod in plan.Delete)
            await DeleteIfPresentAsync(() => _kubernetes.CoreV1.DeleteNamespacedPodAsync(pod, ns, gracePeriodSeconds: 0, cancellationToken: cancellationToken)).ConfigureAwait(false);
        for (int i = 0; i < plan.Create; i++)
        {
            var podName = $"{name}-{RandomSuffix()}";
            await CreateIfMissingAsync(() => _kubernetes.CoreV1.CreateNamespacedPodAsync(ClusterObjects.WorkerPod(group, cluster, podName), ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        int retiredCount = 0;
        if (plan.Retire.Count > 0)
        {
            var ours = pods.Select(p => p.Metadata.Name).ToHashSet(StringComparer.Ordinal);
            var retired = await api.RetireAsync(plan.Retire, cancellationToken).ConfigureAwait(false);
            foreach (var worker in retired.Where(ours.Contains))
            {
                await DeleteIfPresentAsync(() => _kubernetes.CoreV1.DeleteNamespacedPodAsync(worker, ns, gracePeriodSeconds: 0, cancellationToken: cancellationToken)).ConfigureAwait(false);
                retiredCount++;
            }

            LogRetired(_logger, group.Key, string.Join(", ", retired));
        }

        int live = plan.Live + plan.Create - plan.Delete.Count(d => pods.Any(p => p.Metadata.Name == d && p.Status?.Phase is not ("Succeeded" or "Failed"))) - retiredCount;
        status.Replicas = live;
        status.Workers = plan.Registered;
        bool settled = live == group.Spec.Replicas && plan.Registered == live && plan.Create == 0 && plan.Delete.Count == 0 && plan.Retire.Count == 0;
        status.Conditions = OperatorConditions.Set(status.Conditions, "Ready", settled, settled ? "AllRegistered" : "Scaling",
            $"{plan.Registered} of {group.Spec.Replicas} workers registered ({live} pods)", generation);
        await Groups.PatchStatusAsync(group, cancellationToken).ConfigureAwait(false);
        _queue.Add(new ReconcileKey(ShoalResources.Cluster, ns, cluster.Metadata.Name)); // its worker count
        return settled ? null : _options.PollInterval;
    }

    private static GroupPod AsGroupPod(V1Pod p) => new(p.Metadata.Name, p.Status?.Phase ?? "Pending", p.Metadata.DeletionTimestamp is not null,
        p.Metadata.CreationTimestamp is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue);

    /// <summary>Five characters from the ReplicaSet controller's alphabet (no vowels, no 0/1/3: no words, no look-alikes).</summary>
    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = alphabet[Random.Shared.Next(alphabet.Length)];
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker group {Key}: the scheduler retired [{Workers}]; their pods deleted")]
    private static partial void LogRetired(ILogger logger, string key, string workers);
}

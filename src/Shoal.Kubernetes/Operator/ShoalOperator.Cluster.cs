using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Shoal.Kubernetes.Operator;

internal sealed partial class ShoalOperator
{
    /// <summary>
    /// A ShoalCluster: its Secret (made once), scheduler Service and Deployment, default worker
    /// group (made once), then its status: Running once the scheduler's HTTP API answers.
    /// </summary>
    private async Task<TimeSpan?> ReconcileClusterAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var cluster = await Clusters.GetAsync(ns, name, cancellationToken).ConfigureAwait(false);
        if (cluster is null || cluster.Metadata.DeletionTimestamp is not null)
        {
            Forget($"{ns}/{name}");
            return null; // its objects are owned by it: the garbage collector removes them
        }

        var status = cluster.Status ??= new ShoalClusterStatus();
        long generation = cluster.Metadata.Generation ?? 0;
        if (ClusterObjects.Problem(cluster.Spec) is { } problem)
        {
            status.Phase = "Failed";
            status.Conditions = OperatorConditions.Set(status.Conditions, "Ready", false, "InvalidSpec", problem, generation);
            status.ObservedGeneration = generation;
            await Clusters.PatchStatusAsync(cluster, cancellationToken).ConfigureAwait(false);
            LogInvalid(_logger, "ShoalCluster", cluster.Key, problem);
            return null;
        }

        var service = ClusterObjects.SchedulerName(name);
        var owner = ClusterObjects.OwnerOf(cluster);
        if (await ReadOrNullAsync(() => _kubernetes.CoreV1.ReadNamespacedSecretAsync(ClusterCredentials.SecretName(name), ns, cancellationToken: cancellationToken)).ConfigureAwait(false) is null)
            await CreateIfMissingAsync(() => _kubernetes.CoreV1.CreateNamespacedSecretAsync(ClusterCredentials.Create(name, ns, service, owner), ns, cancellationToken: cancellationToken)).ConfigureAwait(false);

        var wantedService = ClusterObjects.SchedulerService(cluster);
        var existingService = await ReadOrNullAsync(() => _kubernetes.CoreV1.ReadNamespacedServiceAsync(service, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (existingService is null)
            await CreateIfMissingAsync(() => _kubernetes.CoreV1.CreateNamespacedServiceAsync(wantedService, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        else if (existingService.Spec.Type != wantedService.Spec.Type)
            await _kubernetes.CoreV1.PatchNamespacedServiceAsync(new V1Patch(new { spec = new { type = wantedService.Spec.Type } }, V1Patch.PatchType.MergePatch), service, ns, cancellationToken: cancellationToken).ConfigureAwait(false);

        var deployment = await ReadOrNullAsync(() => _kubernetes.AppsV1.ReadNamespacedDeploymentAsync(service, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (deployment is null)
            await CreateIfMissingAsync(() => _kubernetes.AppsV1.CreateNamespacedDeploymentAsync(ClusterObjects.SchedulerDeployment(cluster), ns, cancellationToken: cancellationToken)).ConfigureAwait(false);

        if (cluster.Spec.Workers is not null)
        {
            var group = ClusterObjects.DefaultGroup(cluster);
            if (await Groups.GetAsync(ns, group.Metadata.Name, cancellationToken).ConfigureAwait(false) is null)
                await CreateIfMissingAsync(() => Groups.CreateAsync(group, cancellationToken)).ConfigureAwait(false);
        }

        status.SchedulerAddress = ClusterObjects.SchedulerAddress(name, ns);
        status.DashboardAddress = ClusterObjects.DashboardUri(name, ns).ToString();
        status.ObservedGeneration = generation;
        TimeSpan? again = null;
        try
        {
            var api = await SchedulerOfAsync(cluster, cancellationToken).ConfigureAwait(false);
            status.Workers = (await api.GetWorkersAsync(cancellationToken).ConfigureAwait(false)).Count;
            status.Phase = "Running";
            status.Conditions = OperatorConditions.Set(status.Conditions, "SchedulerReady", true, "Answering", "the scheduler's HTTP API answers", generation);
        }
        catch (HttpRequestException e)
        {
            status.Phase = "Pending";
            status.Conditions = OperatorConditions.Set(status.Conditions, "SchedulerReady", false, "Starting", $"the scheduler's HTTP API does not answer yet: {e.Message}", generation);
            again = _options.PollInterval;
        }

        await Clusters.PatchStatusAsync(cluster, cancellationToken).ConfigureAwait(false);
        return again;
    }

    private static async Task<T?> ReadOrNullAsync<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception e) when (KubeRetry.IsNotFound(e))
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Key} is invalid: {Problem}")]
    private static partial void LogInvalid(ILogger logger, string kind, string key, string problem);
}

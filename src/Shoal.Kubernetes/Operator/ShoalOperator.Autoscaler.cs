using Microsoft.Extensions.Logging;
using Shoal.Deploy;

namespace Shoal.Kubernetes.Operator;

internal sealed partial class ShoalOperator
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Spec, AdaptivePolicy Policy)> _policies = new();

    /// <summary>
    /// A ShoalAutoscaler: every interval, the scheduler's adaptive target (GET /api/v1/adaptive_target)
    /// through the same <see cref="AdaptivePolicy"/> as SpecCluster.AdaptAsync and <c>shoal autoscaler</c>
    /// (up at once; down after the target stayed lower for several readings) into the worker group's
    /// spec.replicas. The group's reconcile then does the work: pods made, or workers retired first.
    /// </summary>
    private async Task<TimeSpan?> ReconcileAutoscalerAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var autoscaler = await Autoscalers.GetAsync(ns, name, cancellationToken).ConfigureAwait(false);
        if (autoscaler is null || autoscaler.Metadata.DeletionTimestamp is not null)
        {
            _policies.TryRemove($"{ns}/{name}", out _);
            return null;
        }

        var spec = autoscaler.Spec;
        var status = autoscaler.Status ??= new ShoalAutoscalerStatus();
        long generation = autoscaler.Metadata.Generation ?? 0;
        var interval = TimeSpan.FromSeconds(Math.Max(1, spec.IntervalSeconds ?? 5));
        if (spec.Minimum < 0 || spec.Maximum < spec.Minimum || spec.Maximum < 1 || string.IsNullOrEmpty(spec.Cluster))
        {
            var problem = string.IsNullOrEmpty(spec.Cluster) ? "spec.cluster is required" : $"need 0 <= minimum <= maximum and maximum >= 1, not {spec.Minimum}..{spec.Maximum}";
            status.Conditions = OperatorConditions.Set(status.Conditions, "Active", false, "InvalidSpec", problem, generation);
            await Autoscalers.PatchStatusAsync(autoscaler, cancellationToken).ConfigureAwait(false);
            LogInvalid(_logger, "ShoalAutoscaler", autoscaler.Key, problem);
            return null;
        }

        var groupName = spec.WorkerGroup ?? ClusterObjects.DefaultGroupName(spec.Cluster);
        var cluster = await Clusters.GetAsync(ns, spec.Cluster, cancellationToken).ConfigureAwait(false);
        var group = await Groups.GetAsync(ns, groupName, cancellationToken).ConfigureAwait(false);
        if (cluster?.Status?.Phase != "Running" || group is null)
        {
            status.Conditions = OperatorConditions.Set(status.Conditions, "Active", false, "Waiting",
                group is null ? $"no ShoalWorkerGroup '{groupName}'" : $"ShoalCluster '{spec.Cluster}' is not running", generation);
            await Autoscalers.PatchStatusAsync(autoscaler, cancellationToken).ConfigureAwait(false);
            return interval;
        }

        var signature = $"{spec.Minimum}/{spec.Maximum}/{spec.WaitCount}/{groupName}";
        var key = $"{ns}/{name}";
        var entry = _policies.AddOrUpdate(key, _ => (signature, new AdaptivePolicy(spec.Minimum, spec.Maximum, spec.WaitCount ?? 3)),
            (_, old) => old.Spec == signature ? old : (signature, new AdaptivePolicy(spec.Minimum, spec.Maximum, spec.WaitCount ?? 3)));
        var api = await SchedulerOfAsync(cluster, cancellationToken).ConfigureAwait(false);
        int target = await api.GetAdaptiveTargetAsync(cancellationToken).ConfigureAwait(false);
        status.Target = target;
        if (entry.Policy.Decide(target, group.Spec.Replicas) is { } wanted && wanted != group.Spec.Replicas)
        {
            await Groups.PatchAsync(ns, groupName, new { spec = new { replicas = wanted } }, cancellationToken).ConfigureAwait(false);
            status.Desired = wanted;
            status.LastScaleTime = DateTime.UtcNow;
            LogAutoscaled(_logger, autoscaler.Key, groupName, group.Spec.Replicas, wanted, target);
        }

        status.Desired ??= group.Spec.Replicas;
        status.Conditions = OperatorConditions.Set(status.Conditions, "Active", true, "Reading", $"target {target}, {groupName} at {status.Desired}", generation);
        await Autoscalers.PatchStatusAsync(autoscaler, cancellationToken).ConfigureAwait(false);
        return interval;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Autoscaler {Key}: {Group} from {From} to {To} workers (target {Target})")]
    private static partial void LogAutoscaled(ILogger logger, string key, string group, int from, int to, int target);
}

using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Shoal.Deploy;

namespace Shoal.Kubernetes.Autoscaling;

/// <summary>
/// <c>shoal autoscaler</c>'s loop: reads the scheduler's adaptive target, decides with the same
/// <see cref="AdaptivePolicy"/> as <c>SpecCluster.AdaptAsync</c> (up at once, counting pods still
/// starting; down only after the target stayed lower for several readings), and scales the
/// workers' Deployment. Down, it never lets Kubernetes pick: unregistered pods go first (they hold
/// nothing), then the scheduler retires the workers it chooses (their unique results moved), then
/// those exact pods get the lowest <c>controller.kubernetes.io/pod-deletion-cost</c> and the
/// replicas are lowered by their number, so the ReplicaSet controller removes exactly them.
/// Writes of the scale carry the resource version read and are redone on 409 Conflict.
/// RBAC: deployments/scale get and update, pods list and patch (deploy/helm/shoal's autoscaler Role).
/// </summary>
internal sealed partial class KubeAutoscaler(IKubernetes kubernetes, Client scheduler, KubeAutoscalerOptions options, ILogger logger)
{
    /// <summary>The annotation the ReplicaSet controller reads to rank pods for removal (lower goes first; Kubernetes 1.22+).</summary>
    public const string DeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";

    private readonly AdaptivePolicy _policy = new(options.Minimum, options.Maximum, options.WaitCount);

    /// <summary>Reads and acts every interval until cancelled; a failed reading is logged and the next one tried.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Interval);
        do
        {
            try
            {
                var step = await StepAsync(cancellationToken).ConfigureAwait(false);
                if (step.Wanted is { } wanted) LogScaled(logger, options.Deployment, step.Replicas, wanted, step.Target, string.Join(", ", step.Removed));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogStepFailed(logger, options.Deployment, e);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>One reading: the target, the decision, and the scale-up or the retire-then-remove.</summary>
    public async Task<AutoscaleStep> StepAsync(CancellationToken cancellationToken)
    {
        var target = await scheduler.GetAdaptiveTargetAsync(options.TargetDuration, cancellationToken).ConfigureAwait(false);
        var scale = await ReadScaleAsync(cancellationToken).ConfigureAwait(false);
        int replicas = scale.Spec.Replicas ?? 0;
        var wanted = _policy.Decide(target.Workers, replicas);
        if (wanted is not { } n || n == replicas) return new AutoscaleStep(target.Workers, replicas, null, []);
        if (n > replicas)
        {
            await SetReplicasAsync(_ => n, cancellationToken).ConfigureAwait(false);
            return new AutoscaleStep(target.Workers, replicas, n, []);
        }

        var removed = await ChooseAndRetireAsync(scale, target.Current, replicas - n, cancellationToken).ConfigureAwait(false);
        if (removed.Count == 0) return new AutoscaleStep(target.Workers, replicas, null, []);
        foreach (var pod in removed) await MarkForDeletionAsync(pod, cancellationToken).ConfigureAwait(false);
        // Relative to what is there when written: a conflict means someone else changed the replicas, and these pods must still go.
        int count = removed.Count;
        var final = await SetReplicasAsync(current => Math.Max(0, current - count), cancellationToken).ConfigureAwait(false);
        return new AutoscaleStep(target.Workers, replicas, final, removed);
    }

    private async Task<IReadOnlyList<string>> ChooseAndRetireAsync(V1Scale scale, IReadOnlyList<string> registered, int remove, CancellationToken cancellationToken)
    {
        var names = registered.ToHashSet(StringComparer.Ordinal);
        var list = await kubernetes.CoreV1.ListNamespacedPodAsync(options.Namespace, labelSelector: scale.Status.Selector, cancellationToken: cancellationToken).ConfigureAwait(false);
        var pods = list.Items.Where(p => p.Metadata.DeletionTimestamp is null)
            .Select(p => new WorkerPod(p.Metadata.Name, p.Status?.Phase ?? "Pending",
                p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true,
                names.Contains(p.Metadata.Name), p.Metadata.CreationTimestamp is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue))
            .ToList();
        var (fresh, retire) = WorkerPodChoice.Choose(pods, remove);
        var removed = new List<string>(fresh);
        if (retire > 0)
        {
            var ours = pods.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var retired = await scheduler.RetireWorkersAsync(retire, cancellationToken).ConfigureAwait(false);
            foreach (var name in retired)
            {
                if (ours.Contains(name)) removed.Add(name);
                else LogRetiredStranger(logger, name, options.Deployment);
            }
        }

        return removed;
    }

    private Task MarkForDeletionAsync(string pod, CancellationToken cancellationToken)
    {
        var patch = new V1Pod { Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [DeletionCostAnnotation] = int.MinValue.ToString(CultureInfo.InvariantCulture) } } };
        return kubernetes.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod, options.Namespace, cancellationToken: cancellationToken);
    }

    private Task<V1Scale> ReadScaleAsync(CancellationToken cancellationToken) =>
        kubernetes.AppsV1.ReadNamespacedDeploymentScaleAsync(options.Deployment, options.Namespace, cancellationToken: cancellationToken);

    private Task<int> SetReplicasAsync(Func<int, int> replicas, CancellationToken cancellationToken) =>
        KubeRetry.OnConflictAsync(async ct =>
        {
            var scale = await ReadScaleAsync(ct).ConfigureAwait(false);
            int next = replicas(scale.Spec.Replicas ?? 0);
            await kubernetes.AppsV1.ReplaceNamespacedDeploymentScaleAsync(
                new V1Scale { Metadata = scale.Metadata, Spec = new V1ScaleSpec { Replicas = next } }, options.Deployment, options.Namespace, cancellationToken: ct).ConfigureAwait(false);
            return next;
        }, attempt => LogConflict(logger, options.Deployment, attempt), cancellationToken: cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scaled {Deployment} from {From} to {To} workers (target {Target}); removed pods: [{Removed}]")]
    private static partial void LogScaled(ILogger logger, string deployment, int from, int to, int target, string removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Autoscaling {Deployment} failed this interval; trying again at the next")]
    private static partial void LogStepFailed(ILogger logger, string deployment, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The scale of {Deployment} changed under us (409 Conflict, attempt {Attempt}); reading it again")]
    private static partial void LogConflict(ILogger logger, string deployment, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The scheduler retired {Worker}, which is no pod of {Deployment}: its replicas are not lowered for it")]
    private static partial void LogRetiredStranger(ILogger logger, string worker, string deployment);
}

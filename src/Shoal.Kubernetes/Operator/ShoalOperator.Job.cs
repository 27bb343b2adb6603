using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Shoal.Kubernetes.Operator;

internal sealed partial class ShoalOperator
{
    /// <summary>
    /// A ShoalJob: a ShoalCluster named as the job (owned by it); once the cluster runs, the runner
    /// pod; when the runner ends, the job's phase is the runner's (Succeeded or Failed) and the
    /// cluster is deleted (its pods with it). The runner pod stays, for its log, until the job goes.
    /// </summary>
    private async Task<TimeSpan?> ReconcileJobAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var job = await Jobs.GetAsync(ns, name, cancellationToken).ConfigureAwait(false);
        if (job is null || job.Metadata.DeletionTimestamp is not null) return null;
        var status = job.Status ??= new ShoalJobStatus();
        long generation = job.Metadata.Generation ?? 0;
        status.Cluster = name;
        if (status.Phase is "Succeeded" or "Failed")
        {
            await Clusters.DeleteAsync(ns, name, cancellationToken).ConfigureAwait(false);
            return null;
        }

        var problem = string.IsNullOrWhiteSpace(job.Spec.Runner.Image) ? "spec.runner.image is required" : ClusterObjects.Problem(job.Spec.Cluster);
        if (problem is not null)
        {
            status.Phase = "Failed";
            status.Conditions = OperatorConditions.Set(status.Conditions, "Complete", false, "InvalidSpec", problem, generation);
            await Jobs.PatchStatusAsync(job, cancellationToken).ConfigureAwait(false);
            LogInvalid(_logger, "ShoalJob", job.Key, problem);
            return null;
        }

        var cluster = await Clusters.GetAsync(ns, name, cancellationToken).ConfigureAwait(false);
        if (cluster is null)
        {
            await CreateIfMissingAsync(() => Clusters.CreateAsync(ClusterObjects.JobCluster(job), cancellationToken)).ConfigureAwait(false);
            status.Phase = "Pending";
            status.Conditions = OperatorConditions.Set(status.Conditions, "ClusterReady", false, "Creating", $"ShoalCluster {name} created", generation);
            await Jobs.PatchStatusAsync(job, cancellationToken).ConfigureAwait(false);
            return _options.PollInterval;
        }

        if (cluster.Status?.Phase != "Running")
        {
            status.Phase = "Pending";
            await Jobs.PatchStatusAsync(job, cancellationToken).ConfigureAwait(false);
            return _options.PollInterval;
        }

        var runner = ClusterObjects.RunnerPod(job);
        var pod = await ReadOrNullAsync(() => _kubernetes.CoreV1.ReadNamespacedPodAsync(runner.Metadata.Name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (pod is null)
        {
            await CreateIfMissingAsync(() => _kubernetes.CoreV1.CreateNamespacedPodAsync(runner, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
            status.StartTime ??= DateTime.UtcNow;
            status.Phase = "Running";
            status.Conditions = OperatorConditions.Set(status.Conditions, "ClusterReady", true, "Running", $"ShoalCluster {name} runs", generation);
            await Jobs.PatchStatusAsync(job, cancellationToken).ConfigureAwait(false);
            return null;
        }

        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            status.Phase = pod.Status.Phase;
            status.CompletionTime = DateTime.UtcNow;
            status.Conditions = OperatorConditions.Set(status.Conditions, "Complete", pod.Status.Phase == "Succeeded", pod.Status.Phase,
                $"the runner pod ended ({pod.Status.Phase}); cluster {name} removed", generation);
            await Jobs.PatchStatusAsync(job, cancellationToken).ConfigureAwait(false);
            await Clusters.DeleteAsync(ns, name, cancellationToken).ConfigureAwait(false);
            LogJobEnded(_logger, job.Key, pod.Status.Phase);
            return null;
        }

        status.Phase = "Running";
        await Jobs.PatchStatusAsync(job, cancellationToken).ConfigureAwait(false);
        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Key} ended ({Phase}); its cluster is deleted")]
    private static partial void LogJobEnded(ILogger logger, string key, string phase);
}

using Microsoft.Extensions.Logging;

namespace Shoal.Cloud.Aws;

/// <summary>Finds Shoal's objects on AWS by tag and name and removes them, tasks first (their network interfaces hold the security groups).</summary>
internal sealed class EcsLeftovers(AwsApis apis, ILogger logger, TimeSpan pollInterval)
{
    public async Task<IReadOnlyList<string>> RemoveAsync(string? clusterId, CancellationToken ct)
    {
        bool Ours(string? id) => id is not null && (clusterId is null || id == clusterId);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var failures = new List<Exception>();
        async Task Try(Func<Task> step)
        {
            try
            {
                await step().ConfigureAwait(false);
            }
            catch (CloudApiException e)
            {
                EcsLog.DeleteFailed(logger, e.Action, e.Message);
                failures.Add(e);
            }
        }

        var clusters = (await apis.Ecs.ClustersTaggedAsync(EcsNames.ClusterTag, ct).ConfigureAwait(false)).Where(c => Ours(c.TagValue)).ToList();
        foreach (var (arn, id) in clusters)
        {
            found.Add(id);
            EcsLog.CleaningUp(logger, id);
            await Try(() => StopTasksAsync(arn, ct)).ConfigureAwait(false);
        }

        foreach (var definition in await apis.Ecs.TaskDefinitionsAsync(EcsNames.Prefix, ct).ConfigureAwait(false))
        {
            var tags = await apis.Ecs.TagsOfAsync(definition, ct).ConfigureAwait(false);
            if (!Ours(tags.GetValueOrDefault(EcsNames.ClusterTag))) continue;
            found.Add(tags[EcsNames.ClusterTag]);
            await Try(() => apis.Ecs.DeregisterTaskDefinitionAsync(definition, ct)).ConfigureAwait(false);
        }

        foreach (var group in await apis.Ec2.GroupsTaggedAsync(EcsNames.ClusterTag, clusterId, ct).ConfigureAwait(false))
            await Try(() => apis.Ec2.DeleteGroupAsync(group, ct)).ConfigureAwait(false);

        foreach (var role in await apis.Iam.RolesUnderAsync(EcsNames.RolePath, ct).ConfigureAwait(false))
        {
            var tags = await apis.Iam.TagsOfAsync(role, ct).ConfigureAwait(false);
            if (!Ours(tags.GetValueOrDefault(EcsNames.ClusterTag))) continue;
            found.Add(tags[EcsNames.ClusterTag]);
            await Try(() => apis.Iam.DeleteRoleAsync(role, ct)).ConfigureAwait(false);
        }

        foreach (var group in await apis.Logs.GroupsAsync(EcsNames.LogGroupPrefix, ct).ConfigureAwait(false))
        {
            var id = group[EcsNames.LogGroupPrefix.Length..];
            if (!Ours(id)) continue;
            found.Add(id);
            await Try(() => apis.Logs.DeleteGroupAsync(group, ct)).ConfigureAwait(false);
        }

        foreach (var (arn, _) in clusters) await Try(() => apis.Ecs.DeleteClusterAsync(arn, ct)).ConfigureAwait(false);
        if (failures.Count > 0) throw new AggregateException($"{failures.Count} leftover AWS objects could not be removed", failures);
        return [.. found];
    }

    private async Task StopTasksAsync(string cluster, CancellationToken ct)
    {
        var tasks = await apis.Ecs.TasksAsync(cluster, "RUNNING", ct).ConfigureAwait(false);
        foreach (var task in tasks) await apis.Ecs.StopTaskAsync(cluster, task, "Shoal: cleanup of a cluster whose client is gone", ct).ConfigureAwait(false);
        await using var watcher = EcsTaskWatcher.Create(apis.Ecs, cluster, pollInterval);
        await Task.WhenAll(tasks.Select(t => watcher.GoneAsync(t, ct))).ConfigureAwait(false);
    }
}

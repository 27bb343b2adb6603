using System.Text.Json.Nodes;

namespace Shoal.Cloud.Aws;

/// <summary>
/// The Amazon ECS calls Shoal makes, typed (AWS JSON 1.1, <c>AmazonEC2ContainerServiceV20141113</c>).
/// AWSSDK.ECS would replace this class; the mirror this project builds from does not serve it.
/// </summary>
internal sealed class EcsApi(AwsConnection connection)
{
    private readonly AwsJsonProtocol _json = new(connection, "ecs", "AmazonEC2ContainerServiceV20141113");

    public async Task<string> CreateClusterAsync(string name, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        var reply = await _json.CallAsync("CreateCluster", new JsonObject
        {
            ["clusterName"] = name,
            ["capacityProviders"] = new JsonArray("FARGATE", "FARGATE_SPOT"),
            ["tags"] = Tags(tags),
        }, ct).ConfigureAwait(false);
        return reply["cluster"]!["clusterArn"]!.GetValue<string>();
    }

    public Task DeleteClusterAsync(string cluster, CancellationToken ct) =>
        _json.CallAsync("DeleteCluster", new JsonObject { ["cluster"] = cluster }, ct);

    /// <summary>The clusters carrying <paramref name="tagKey"/>, with that tag's value.</summary>
    public async Task<IReadOnlyList<(string Arn, string TagValue)>> ClustersTaggedAsync(string tagKey, CancellationToken ct)
    {
        var arns = await PagesAsync("ListClusters", [], "clusterArns", ct).ConfigureAwait(false);
        var tagged = new List<(string, string)>();
        foreach (var chunk in arns.Chunk(100))
        {
            var reply = await _json.CallAsync("DescribeClusters", new JsonObject
            {
                ["clusters"] = new JsonArray([.. chunk.Select(a => (JsonNode)a)]),
                ["include"] = new JsonArray("TAGS"),
            }, ct).ConfigureAwait(false);
            foreach (var cluster in reply["clusters"]!.AsArray())
            {
                var value = TagValue(cluster!["tags"], tagKey);
                if (value is not null) tagged.Add((cluster["clusterArn"]!.GetValue<string>(), value));
            }
        }
        return tagged;
    }

    public async Task<string> RegisterTaskDefinitionAsync(JsonObject definition, CancellationToken ct)
    {
        var reply = await _json.CallAsync("RegisterTaskDefinition", definition, ct).ConfigureAwait(false);
        return reply["taskDefinition"]!["taskDefinitionArn"]!.GetValue<string>();
    }

    public Task DeregisterTaskDefinitionAsync(string arn, CancellationToken ct) =>
        _json.CallAsync("DeregisterTaskDefinition", new JsonObject { ["taskDefinition"] = arn }, ct);

    /// <summary>The active task definitions whose family starts with <paramref name="familyPrefix"/>.</summary>
    public Task<IReadOnlyList<string>> TaskDefinitionsAsync(string familyPrefix, CancellationToken ct) =>
        PagesAsync("ListTaskDefinitions", new JsonObject { ["familyPrefix"] = familyPrefix, ["status"] = "ACTIVE" }, "taskDefinitionArns", ct);

    public async Task<IReadOnlyDictionary<string, string>> TagsOfAsync(string arn, CancellationToken ct)
    {
        var reply = await _json.CallAsync("ListTagsForResource", new JsonObject { ["resourceArn"] = arn }, ct).ConfigureAwait(false);
        return (reply["tags"]?.AsArray() ?? []).ToDictionary(t => t!["key"]!.GetValue<string>(), t => t!["value"]!.GetValue<string>(), StringComparer.Ordinal);
    }

    /// <summary>Runs one task; a refusal the service gives as a failure (capacity, quota) is thrown as one.</summary>
    public async Task<string> RunTaskAsync(JsonObject request, CancellationToken ct)
    {
        var reply = await _json.CallAsync("RunTask", request, ct).ConfigureAwait(false);
        if (reply["tasks"]?.AsArray() is [{ } task, ..]) return task["taskArn"]!.GetValue<string>();
        var failure = reply["failures"]?.AsArray().FirstOrDefault();
        throw new CloudApiException("ecs", "RunTask", failure?["reason"]?.GetValue<string>() ?? "NoTask",
            failure?["detail"]?.GetValue<string>() ?? "RunTask started no task", System.Net.HttpStatusCode.OK);
    }

    public Task StopTaskAsync(string cluster, string task, string reason, CancellationToken ct) =>
        _json.CallAsync("StopTask", new JsonObject { ["cluster"] = cluster, ["task"] = task, ["reason"] = reason }, ct);

    public Task<IReadOnlyList<string>> TasksAsync(string cluster, string desiredStatus, CancellationToken ct) =>
        PagesAsync("ListTasks", new JsonObject { ["cluster"] = cluster, ["desiredStatus"] = desiredStatus }, "taskArns", ct);

    /// <summary>What ECS says of each task (at most 100 a call, as the service allows).</summary>
    public async Task<IReadOnlyList<EcsTaskState>> DescribeTasksAsync(string cluster, IEnumerable<string> tasks, CancellationToken ct)
    {
        var states = new List<EcsTaskState>();
        foreach (var chunk in tasks.Chunk(100))
        {
            var reply = await _json.CallAsync("DescribeTasks", new JsonObject
            {
                ["cluster"] = cluster,
                ["tasks"] = new JsonArray([.. chunk.Select(a => (JsonNode)a)]),
            }, ct).ConfigureAwait(false);
            foreach (var task in reply["tasks"]?.AsArray() ?? [])
            {
                var address = task!["attachments"]?.AsArray()
                    .SelectMany(a => a!["details"]?.AsArray() ?? [])
                    .FirstOrDefault(d => d!["name"]?.GetValue<string>() == "privateIPv4Address")?["value"]?.GetValue<string>();
                states.Add(new EcsTaskState(task["taskArn"]!.GetValue<string>(), task["lastStatus"]!.GetValue<string>(),
                    task["stoppedReason"]?.GetValue<string>(), address));
            }
            foreach (var failure in reply["failures"]?.AsArray() ?? [])
                states.Add(new EcsTaskState(failure!["arn"]!.GetValue<string>(), "MISSING", failure["reason"]?.GetValue<string>(), null));
        }
        return states;
    }

    private async Task<IReadOnlyList<string>> PagesAsync(string action, JsonObject request, string field, CancellationToken ct)
    {
        var all = new List<string>();
        string? token = null;
        do
        {
            var page = (JsonObject)request.DeepClone();
            if (token is not null) page["nextToken"] = token;
            var reply = await _json.CallAsync(action, page, ct).ConfigureAwait(false);
            all.AddRange((reply[field]?.AsArray() ?? []).Select(n => n!.GetValue<string>()));
            token = reply["nextToken"]?.GetValue<string>();
        }
        while (token is not null);
        return all;
    }

    /// <summary>Tags as ECS writes them: <c>[{"key": ..., "value": ...}]</c>.</summary>
    public static JsonArray Tags(IReadOnlyDictionary<string, string> tags) =>
        new([.. tags.Select(t => (JsonNode)new JsonObject { ["key"] = t.Key, ["value"] = t.Value })]);

    private static string? TagValue(JsonNode? tags, string key) =>
        tags?.AsArray().FirstOrDefault(t => t!["key"]?.GetValue<string>() == key)?["value"]?.GetValue<string>();
}

/// <summary>One task as ECS describes it: PROVISIONING, PENDING, ACTIVATING, RUNNING, ..., STOPPED (or MISSING: ECS no longer knows it).</summary>
internal sealed record EcsTaskState(string Arn, string LastStatus, string? StoppedReason, string? PrivateAddress);

/// <summary>How a cluster's tasks are watched: a DescribeTasks call per interval for all of them.</summary>
internal static class EcsTaskWatcher
{
    public static StateWatcher<EcsTaskState> Create(EcsApi ecs, string cluster, TimeSpan interval) => new(
        async (tasks, ct) => [.. (await ecs.DescribeTasksAsync(cluster, tasks, ct).ConfigureAwait(false)).Select(s => (s.Arn, s))],
        s => s.LastStatus is "RUNNING" or "DEACTIVATING" or "STOPPING" or "DEPROVISIONING",
        s => s.LastStatus is "STOPPED" or "MISSING",
        reason => new EcsTaskState("", "MISSING", reason, null),
        interval);
}

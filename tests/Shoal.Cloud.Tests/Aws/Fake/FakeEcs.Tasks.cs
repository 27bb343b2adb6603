using System.Text.Json.Nodes;

namespace Shoal.Cloud.Tests.Aws.Fake;

/// <summary>One task: where it runs, what it was told, and where it stands.</summary>
internal sealed class FakeTask(string arn, string cluster, string definition, string startedBy, Dictionary<string, string> environment, Dictionary<string, string> tags, IReadOnlyList<string> groups, string address, string? capacityProvider)
{
    public string Arn { get; } = arn;

    public string Cluster { get; } = cluster;

    public string Definition { get; } = definition;

    public string StartedBy { get; } = startedBy;

    public Dictionary<string, string> Environment { get; } = environment;

    public Dictionary<string, string> Tags { get; } = tags;

    public IReadOnlyList<string> Groups { get; } = groups;

    public string Address { get; } = address;

    public string? CapacityProvider { get; } = capacityProvider;

    public string LastStatus { get; set; } = "PROVISIONING";

    public string DesiredStatus { get; set; } = "RUNNING";

    public string? StoppedReason { get; set; }

    public string Id => Arn[(Arn.LastIndexOf('/') + 1)..];
}

internal sealed partial class FakeEcs
{
    private int _nextAddress;

    private JsonObject RunTask(JsonObject request)
    {
        var count = request["count"]?.GetValue<int>() ?? 1;
        if (count is < 1 or > 10) throw FakeError.Invalid("count must be between 1 and 10");
        var startedBy = request.OptionalString("startedBy") ?? "";
        if (startedBy.Length > 36) throw FakeError.Invalid("startedBy: at most 36 characters");
        if (request["launchType"] is not null && request["capacityProviderStrategy"] is not null)
            throw FakeError.Invalid("Specifying both a launch type and capacity provider strategy is not supported.");
        if (request["overrides"] is JsonNode overrides && overrides.ToJsonString().Length > 8192)
            throw FakeError.Invalid("Container Overrides length must be at most 8192");
        lock (_lock)
        {
            var cluster = ClusterOf(request.String("cluster"));
            var definition = DefinitionFor(request.String("taskDefinition"));
            if (!definition.Active) throw new FakeError("ClientException", "TaskDefinition is inactive");
            string? provider = null;
            if (request["capacityProviderStrategy"] is JsonArray strategy)
            {
                provider = ((JsonObject)strategy.Single()!).String("capacityProvider");
                if (!cluster.Providers.Contains(provider)) throw FakeError.Invalid($"The specified capacity provider {provider} is not in the cluster's capacity providers.");
            }
            var launchType = request.OptionalString("launchType");
            if (launchType is not (null or "FARGATE" or "EC2" or "EXTERNAL")) throw FakeError.Invalid("launchType");
            var vpc = request.Object("networkConfiguration").Object("awsvpcConfiguration");
            var subnets = vpc.Array("subnets").Select(s => s!.GetValue<string>()).ToList();
            var groups = vpc.Array("securityGroups").Select(s => s!.GetValue<string>()).ToList();
            if (subnets.Count is < 1 or > 16) throw FakeError.Invalid("subnets: 1 to 16");
            if (groups.Count > 5) throw FakeError.Invalid("securityGroups: at most 5");
            if (vpc.OptionalString("assignPublicIp") is not (null or "ENABLED" or "DISABLED")) throw FakeError.Invalid("assignPublicIp must be ENABLED or DISABLED");
            foreach (var subnet in subnets) if (!aws.Ec2.SubnetExists(subnet)) throw FakeError.Invalid($"Error retrieving subnet information for [{subnet}]: The subnet ID '{subnet}' does not exist");
            foreach (var group in groups) if (!aws.Ec2.GroupExists(group)) throw FakeError.Invalid($"Error retrieving security group information for [{group}]: The security group '{group}' does not exist");
            var containerNames = definition.Body["containerDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToHashSet();
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var container in request["overrides"]?["containerOverrides"]?.AsArray() ?? [])
            {
                var name = ((JsonObject)container!).String("name");
                if (!containerNames.Contains(name)) throw FakeError.Invalid($"Override for container named {name} is not a container in the TaskDefinition.");
                foreach (var pair in (container!["environment"]?.AsArray() ?? []).Select(p => (JsonObject)p!)) environment[pair.String("name")] = pair["value"]?.GetValue<string>() ?? "";
            }

            var running = _tasks.Values.Count(t => t.LastStatus != "STOPPED");
            var tasks = new JsonArray();
            var failures = new JsonArray();
            for (var i = 0; i < count; i++)
            {
                if (running + i >= TaskQuota)
                {
                    failures.Add(new JsonObject { ["arn"] = cluster.Arn, ["reason"] = "You've reached the limit on the number of tasks you can run concurrently" });
                    continue;
                }
                var arn = Arn("task", $"{cluster.Name}/{Guid.NewGuid():N}");
                var address = $"10.0.{(_nextAddress / 250) % 250}.{(_nextAddress++ % 250) + 2}";
                var task = new FakeTask(arn, cluster.Arn, definition.Body["taskDefinitionArn"]!.GetValue<string>(), startedBy, environment, request.EcsTags(), groups, address, provider);
                _tasks[arn] = task;
                aws.Ec2.Attach(groups, arn);
                tasks.Add(Describe(task));
                if (!NeverStart) _ = StartLaterAsync(task);
            }
            return new JsonObject { ["tasks"] = tasks, ["failures"] = failures };
        }
    }

    private async Task StartLaterAsync(FakeTask task)
    {
        await Task.Delay(StartDelay);
        lock (_lock)
        {
            if (task.DesiredStatus != "RUNNING") return;
            task.LastStatus = "PENDING";
        }
        var started = await aws.Containers.StartAsync(task.Id, task.Environment);
        lock (_lock)
        {
            if (task.DesiredStatus == "RUNNING") task.LastStatus = started ? "RUNNING" : "STOPPED";
            if (!started) task.StoppedReason = "Essential container in task exited";
        }
        if (!started) aws.Ec2.Detach(task.Arn);
        aws.Logs.Append($"/shoal/{task.Tags.GetValueOrDefault("shoal:cluster")}", $"shoal/worker/{task.Id}", started ? "worker started" : "worker failed to start");
    }

    private JsonObject StopTask(JsonObject request)
    {
        lock (_lock)
        {
            ClusterOf(request.String("cluster"));
            var task = _tasks.GetValueOrDefault(request.String("task")) ?? throw FakeError.Invalid("The referenced task was not found.");
            if (task.DesiredStatus != "STOPPED")
            {
                task.DesiredStatus = "STOPPED";
                task.StoppedReason = request.OptionalString("reason") ?? "Task stopped by user";
                if (task.LastStatus != "STOPPED") task.LastStatus = "DEPROVISIONING";
                _ = StopLaterAsync(task);
            }
            return new JsonObject { ["task"] = Describe(task) };
        }
    }

    private async Task StopLaterAsync(FakeTask task)
    {
        await aws.Containers.StopAsync(task.Id);
        await Task.Delay(StopDelay);
        lock (_lock) task.LastStatus = "STOPPED";
        aws.Ec2.Detach(task.Arn);
    }

    private JsonObject ListTasks(JsonObject request)
    {
        lock (_lock)
        {
            var cluster = ClusterOf(request.String("cluster"));
            var desired = request.OptionalString("desiredStatus") ?? "RUNNING";
            var startedBy = request.OptionalString("startedBy");
            return new JsonObject
            {
                ["taskArns"] = Strings(_tasks.Values.Where(t => t.Cluster == cluster.Arn && t.DesiredStatus == desired && (startedBy is null || t.StartedBy == startedBy))
                    .Select(t => t.Arn).ToList()),
            };
        }
    }

    private JsonObject DescribeTasks(JsonObject request)
    {
        var references = request.Array("tasks").Select(t => t!.GetValue<string>()).ToList();
        if (references.Count > 100) throw FakeError.Invalid("tasks: at most 100");
        lock (_lock)
        {
            ClusterOf(request.String("cluster"));
            var found = new JsonArray();
            var failures = new JsonArray();
            foreach (var reference in references)
            {
                if (_tasks.GetValueOrDefault(reference) is { } task) found.Add(Describe(task));
                else failures.Add(new JsonObject { ["arn"] = reference, ["reason"] = "MISSING" });
            }
            return new JsonObject { ["tasks"] = found, ["failures"] = failures };
        }
    }

    private static JsonObject Describe(FakeTask task)
    {
        var described = new JsonObject
        {
            ["taskArn"] = task.Arn, ["clusterArn"] = task.Cluster, ["taskDefinitionArn"] = task.Definition, ["lastStatus"] = task.LastStatus,
            ["desiredStatus"] = task.DesiredStatus, ["startedBy"] = task.StartedBy,
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["type"] = "ElasticNetworkInterface", ["status"] = task.LastStatus == "STOPPED" ? "DELETED" : "ATTACHED",
                ["details"] = new JsonArray(
                    new JsonObject { ["name"] = "networkInterfaceId", ["value"] = "eni-" + task.Id[..17] },
                    new JsonObject { ["name"] = "privateIPv4Address", ["value"] = task.Address }),
            }),
        };
        if (task.CapacityProvider is { } provider) described["capacityProviderName"] = provider;
        if (task.StoppedReason is { } reason && task.DesiredStatus == "STOPPED") described["stoppedReason"] = reason;
        return described;
    }
}
